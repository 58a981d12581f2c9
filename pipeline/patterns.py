"""Grammatical patterns a reviewer listens for, beyond fixed phrases.

- ``person_name``: the operator names themselves ("на линии Павел", "I'm Daniel"):
  Russian, a capitalised word pymorphy3 knows as a first name in the nominative
  ("Роман", not the plural genitive "Петров"); English, a proper noun right after
  "I'm" / "it's" / "this is" / "my name is" / "speaking with", or right before
  "speaking" / "here" / "on the line" / "at" / "from" ("Megan on the line").
- ``organisation``: English, a run of capitalised words named as the place called
  ("You've reached Orbit Mobile", "Rachel at Crown Savings", "Plus Mobile customer
  care"): after "reached" / "calling" / "at" / "from" / "to", or before a support noun.
  Russian introductions name the company with a noun the phrase list has ("компания").
- ``operator_action``: the operator states something done or about to happen
  ("я снял блокировку", "курьер приедет", "I've moved you to
  the Basic plan", "it will arrive on Monday"): Russian, a perfective verb in the
  past or future tense; English, a perfect ("'ve" / "have" + past participle),
  "will" + verb, or "I" / "we" + a verb (recognition often drops the "'ve").
  Not when negated, and not verbs of hearing, thinking or trying.
- ``question``: a question of at least three words (the sentence ends with "?").

Each finder yields (first_token, last_token) ranges of one utterance's tokens.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Sequence

from models.nlp import Token

PATTERNS = ("person_name", "organisation", "operator_action", "question")
# Words that turn what follows around (token texts, lower case: spaCy splits "don't" into "do" + "n't").
NEGATIONS = frozenset({"не", "ни", "not", "n't", "never", "no"})
_EN_NAME_CUES = frozenset({"'m", "am", "is", "'s", "name", "called", "with"})
_EN_NAME_CUES_AFTER = frozenset({"speaking", "here", "at", "from"})
_EN_ORG_CUES = frozenset({"reached", "calling", "at", "from", "to"})
_EN_SUPPORT_NOUNS = frozenset({"support", "care", "customer", "service", "services", "helpline", "help", "team", "desk"})
_EN_PERFECT = frozenset({"'ve", "have", "has", "'s", "had"})
_EN_FUTURE = frozenset({"will", "'ll"})
# Verbs of hearing, understanding and trying are not something done for the customer
# ("вас понял", "попробуем", "we'll try to look").
_NOT_ACTIONS = frozenset({
    "понять", "услышать", "увидеть", "сказать", "спросить", "попробовать", "постараться", "посмотреть", "подумать",
    "понимать", "разобраться", "быть", "стать", "мочь", "смочь", "указать", "случиться", "произойти",
    "try", "look", "see", "understand", "hear", "say", "ask", "think", "be", "get", "have", "need", "want",
    "know", "mean", "guess", "hope", "apologise", "apologize", "feel", "wonder", "believe", "like", "agree",
    "do", "can", "could", "would", "should", "must", "may", "might", "let", "go", "call", "speak", "help",
})
_EN_SUBJECTS = frozenset({"i", "we"})
_EN_VERBS = frozenset({"VBD", "VBN", "VBP", "VB"})


def _negated(tokens: Sequence[Token], i: int) -> bool:
    return any(t.text.lower() in NEGATIONS for t in tokens[max(0, i - 2) : i])


def person_name(tokens: Sequence[Token], text: str, language: str) -> Iterator[tuple[int, int]]:
    for i, t in enumerate(tokens):
        if not t.text[:1].isupper():
            continue
        if language == "ru":
            if "Name+nomn" in t.tags:
                yield (max(0, i - 2), i)
        elif "NNP" in t.tags:
            before = tokens[i - 1].text.lower() if i > 0 else ""
            after = [x.text.lower() for x in tokens[i + 1 : i + 3]]
            if before in _EN_NAME_CUES:
                yield (max(0, i - 2), i)
            elif after[:1] and (after[0] in _EN_NAME_CUES_AFTER or after == ["on", "the"]):
                yield (i, min(len(tokens) - 1, i + 3 if after[0] == "on" else i + 1))


def organisation(tokens: Sequence[Token], text: str, language: str) -> Iterator[tuple[int, int]]:
    if language != "en":
        return
    i = 0
    while i < len(tokens):
        if not tokens[i].text[:1].isupper() or tokens[i].text == "I":
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and tokens[j + 1].text[:1].isupper() and tokens[j + 1].text != "I":
            j += 1
        before = tokens[i - 1].text.lower() if i > 0 else ""
        after = tokens[j + 1].text.lower() if j + 1 < len(tokens) else ""
        # Between cue words, not in plain speech: "Is anyone there?" is no company.
        if before in _EN_ORG_CUES or after in _EN_SUPPORT_NOUNS:
            yield (max(0, i - 1), min(len(tokens) - 1, j + 1))
        i = j + 1


def operator_action(tokens: Sequence[Token], text: str, language: str) -> Iterator[tuple[int, int]]:
    for i, t in enumerate(tokens):
        if _negated(tokens, i) or t.lemmas & _NOT_ACTIONS:
            continue
        if language == "ru":
            if i > 0 and tokens[i - 1].lemmas & {"быть"}:  # "был указан": a state, not an action
                continue
            # Passive participles are left out: "заявка оформлена" is in the phrase list, while
            # "карта заблокирована службой безопасности" is a state, not a solution.
            if {"VERB", "perf"} <= t.tags and ("past" in t.tags or "futr" in t.tags):
                yield (max(0, i - 1), min(len(tokens) - 1, i + 2))
        else:
            prev = tokens[i - 1].text.lower() if i > 0 else ""
            # Whisper often drops the "'ve": "I lifted the block", "I move you to the basic plan".
            said_done = prev in _EN_SUBJECTS and t.tags & _EN_VERBS
            if ("VBN" in t.tags and prev in _EN_PERFECT) or ("VB" in t.tags and prev in _EN_FUTURE) or said_done:
                yield (max(0, i - 2), min(len(tokens) - 1, i + 2))


_QUESTION = re.compile(r"[^.!?]*\?")


def question(tokens: Sequence[Token], text: str, language: str) -> Iterator[tuple[int, int]]:
    for m in _QUESTION.finditer(text):
        inside = [i for i, t in enumerate(tokens) if m.start() <= t.start < m.end()]
        if len(inside) >= 3:
            yield (inside[0], inside[-1])


FINDERS: dict[str, Callable[[Sequence[Token], str, str], Iterator[tuple[int, int]]]] = {
    "person_name": person_name,
    "organisation": organisation,
    "operator_action": operator_action,
    "question": question,
}
