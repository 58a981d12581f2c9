"""Words that turn what follows around, and the one test for a negation near a phrase.

The core set is the same for every caller; two callers add words on purpose (kept as named
sets here so the difference is visible): fuzzy matching also skips a run after a bare "нет",
and the call-outcome cues also read "ничего" / "нельзя" / "nothing" as a denial. Adding those
words everywhere would change verdicts: "Нет, я уже отправил" is still an action, and
"нет я буду жаловаться" (recognised without a comma) is still a complaint.
"""

from __future__ import annotations

from typing import Sequence

from models.nlp import Token, normalize

# Token texts, lower case (spaCy splits "don't" into "do" + "n't").
RUSSIAN = frozenset({"не", "ни"})
ENGLISH = frozenset({"not", "n't", "never", "no"})
# The scripts never share a word, so one lookup serves both languages.
NEGATIONS = RUSSIAN | ENGLISH
# Before a fuzzy run a bare "нет" counts too ("нет, не оформили").
NEGATIONS_AND_NO = NEGATIONS | {"нет"}
# Beside an outcome cue, words that deny the result ("сделать ничего нельзя", "nothing was fixed").
DENIALS = NEGATIONS | {"ничего", "нельзя", "nothing"}
# Lemmas that break a phrase apart when said between its words ("я не оформил заявку" is not
# "я оформил заявку"); "ни" / "no" inside a phrase's gap do not turn it around.
GAP_NEGATIONS = frozenset({"не", "not", "never"})

CLAUSE_BREAK = frozenset(".,;:!?—")


def is_negation(token: Token, words: frozenset[str] = NEGATIONS, by_lemma: bool = False) -> bool:
    """The token's text (or, with ``by_lemma``, one of its lemmas) is one of ``words``."""
    return normalize(token.text) in words or (by_lemma and bool(token.lemmas & words))


def negation_near(tokens: Sequence[Token], first: int, last: int, *, before: int, after: int,
                  words: frozenset[str] = NEGATIONS, by_lemma: bool = False,
                  clause: tuple[str, int, int] | None = None) -> bool:
    """A negation among the ``before`` tokens ahead of ``tokens[first]`` or the ``after`` tokens
    past ``tokens[last]``. With ``clause`` (the tokens' text and the phrase's character span) the
    look stops at a clause break between a token and the phrase: "Я не шучу, дайте начальника"."""
    for t in reversed(tokens[max(0, first - before) : first]):
        if clause is not None and CLAUSE_BREAK.intersection(clause[0][t.end : clause[1]]):
            break
        if is_negation(t, words, by_lemma):
            return True
    for t in tokens[last + 1 : last + 1 + after]:
        if clause is not None and CLAUSE_BREAK.intersection(clause[0][clause[2] : t.start]):
            break
        if is_negation(t, words, by_lemma):
            return True
    return False
