"""Grammatical patterns a reviewer listens for, beyond fixed phrases.

- ``person_name``: the operator names themselves ("на линии Павел", "I'm Daniel"):
  Russian, a capitalised word pymorphy3 knows as a first name; English, a proper
  noun right after "I'm" / "this is" / "my name is" / "speaking with".
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

PATTERNS = ("person_name", "operator_action", "question")
# Words that turn what follows around (token texts, lower case: spaCy splits "don't" into "do" + "n't").
NEGATIONS = frozenset({"не", "ни", "not", "n't", "never", "no"})
_EN_NAME_CUES = frozenset({"'m", "am", "is", "name", "called", "with"})
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
        if language == "ru" and "Name" in t.tags and "Surn" not in t.tags or (
            language == "en" and "NNP" in t.tags and i > 0 and tokens[i - 1].text.lower() in _EN_NAME_CUES
        ):
            yield (max(0, i - 2), i)


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
    "operator_action": operator_action,
    "question": question,
}
