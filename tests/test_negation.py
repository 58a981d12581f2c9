"""The one negation test the judge, the patterns and the outcome cues share (pipeline/text/negation.py)."""

from __future__ import annotations

from models.nlp import load_lemmatizer
from pipeline.text.negation import DENIALS, NEGATIONS, NEGATIONS_AND_NO, negation_near


def _find(tokens, word: str) -> int:
    return next(i for i, t in enumerate(tokens) if t.text.lower() == word)


def test_a_negation_counts_within_its_reach_and_clause_only():
    text = "Я не шучу, дайте начальника"
    tokens = load_lemmatizer("ru").tokens(text)
    i = _find(tokens, "дайте")
    span = (tokens[i].start, tokens[i + 1].end)
    # "не" is two words before "дайте": within reach, but across the comma.
    assert negation_near(tokens, i, i + 1, before=3, after=0)
    assert not negation_near(tokens, i, i + 1, before=3, after=0, clause=(text, *span))
    assert not negation_near(tokens, i, i + 1, before=1, after=0)


def test_after_the_phrase_and_by_lemma_for_the_outcome_cues():
    text = "сделать ничего нельзя"
    tokens = load_lemmatizer("ru").tokens(text)
    assert not negation_near(tokens, 0, 0, before=2, after=2)  # neither word is a plain negation
    assert negation_near(tokens, 0, 0, before=2, after=2, words=DENIALS, by_lemma=True)


def test_the_wider_sets_only_add_words():
    assert NEGATIONS < NEGATIONS_AND_NO and NEGATIONS < DENIALS
    tokens = load_lemmatizer("en").tokens("I haven't sent it")
    i = _find(tokens, "sent")
    assert negation_near(tokens, i, i, before=2, after=0)  # spaCy's "n't"
