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
- ``question``: a question of at least three words: the sentence ends with "?", or, since
  recognition of a noisy or compressed line often drops the "?" ("какую сумму с вас
  списали."), a clause that reads as a question: it opens with a question word ("какую",
  "когда", "what" not followed by "I"/"we"...), with "можете ли" (Russian "ли" second), or
  with an auxiliary before its subject ("can you", "do you"). Such a clause counts where a
  question can start (the sentence's start, after "скажите" / "tell me", or after another
  question) and where it cannot be a subordinate clause: the sentence ends with it, or
  another question follows ("Когда мастер придёт, он позвонит" is no question), and not
  with a negated verb of knowing ("Почему, я не знаю").

Each finder yields (first_token, last_token) ranges of one utterance's tokens.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Sequence

from models.nlp import Token
from pipeline.text.negation import negation_near

PATTERNS = ("person_name", "organisation", "operator_action", "question")
_EN_NAME_CUES = frozenset({"'m", "am", "is", "'s", "name", "called", "with"})
_EN_NAME_CUES_AFTER = frozenset({"speaking", "here", "at", "from"})
_EN_ORG_CUES = frozenset({"reached", "calling", "at", "from", "to"})
_EN_SUPPORT_NOUNS = frozenset(
    {"support", "care", "customer", "service", "services", "helpline", "help", "team", "desk"}
)
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


# A negation up to two words before a verb turns it around ("не оформил", "I haven't sent").
_NEGATION_REACH = 2


def _name_tag(t: Token, text: str) -> bool:
    """The tag a masked name leaves ("меня зовут [NAME]", pipeline/privacy/pii.py): a name was said."""
    return t.text == "NAME" and text[t.start - 1 : t.start] == "[" and text[t.end : t.end + 1] == "]"


def person_name(tokens: Sequence[Token], text: str, language: str) -> Iterator[tuple[int, int]]:
    for i, t in enumerate(tokens):
        if not t.text[:1].isupper():
            continue
        if language == "ru":
            if "Name+nomn" in t.tags or _name_tag(t, text):
                yield (max(0, i - 2), i)
        elif "NNP" in t.tags or _name_tag(t, text):
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
        if negation_near(tokens, i, i, before=_NEGATION_REACH, after=0) or t.lemmas & _NOT_ACTIONS:
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
_SENTENCE = re.compile(r"[^.!?]+")
_CLAUSE = re.compile(r"[^,;:\u2014]+")
_RU_QUESTION_WORDS = frozenset({"что", "как", "какой", "каков", "когда", "где", "куда", "откуда", "почему", "зачем",
                                "сколько", "кто", "чей", "разве", "неужели"})
_EN_QUESTION_WORDS = frozenset({"what", "how", "when", "where", "why", "which", "who", "whose"})
_EN_AUXILIARIES = frozenset({"do", "does", "did", "can", "could", "would", "will", "is", "are", "was", "were",
                             "have", "has", "may", "shall", "should"})
_EN_PRONOUNS = frozenset({"i", "you", "we", "they", "he", "she", "it", "there"})
# Words before a question that do not stop it being one ("А когда...", "So what happened").
_LEAD_INS = frozenset({"а", "и", "ну", "так", "вот", "пожалуйста", "and", "so", "ok", "okay", "well", "please"})
# A clause of only these asks for what follows: "Скажите, когда это началось".
_ASKING = frozenset({"сказать", "подсказать", "уточнить", "объяснить", "пожалуйста", "tell", "me", "please",
                     "could", "can", "you"})
# "Что касается тарифа, ..." is a topic, not a question.
_RU_NOT_QUESTION_AFTER = {
    "что": frozenset({"касаться", "ж", "же"}),
    "как": frozenset({"и", "раз", "обычно", "правило"}),
}
# "Почему, я не знаю" / "Why, I don't know": the question word is what the speaker cannot answer.
_KNOWING = frozenset({"знать", "помнить", "понимать", "понять", "know", "remember", "understand"})


def _question_led(tokens: Sequence[Token], language: str) -> bool:
    if any(t.lemmas & _KNOWING and negation_near(tokens, i, i, before=_NEGATION_REACH, after=0)
           for i, t in enumerate(tokens)):
        return False
    words = [t for t in tokens if t.text.isalpha() or "'" in t.text]
    while words and words[0].text.lower() in _LEAD_INS:
        words = words[1:]
    if len(words) < 3:
        return False
    first, second = words[0].text.lower(), words[1].text.lower()
    if language == "ru":
        if first in _RU_NOT_QUESTION_AFTER and words[1].lemmas & _RU_NOT_QUESTION_AFTER[first]:
            return False
        return bool(words[0].lemmas & _RU_QUESTION_WORDS) or second == "ли"
    if first in _EN_QUESTION_WORDS:
        return second not in _EN_PRONOUNS - {"it", "there"}  # "What I'll do is..." says, it does not ask
    return first in _EN_AUXILIARIES and second in _EN_PRONOUNS


def _unpunctuated_questions(tokens: Sequence[Token], text: str, language: str) -> Iterator[tuple[int, int]]:
    for sentence in _SENTENCE.finditer(text):
        clauses: list[list[int]] = []
        for clause in _CLAUSE.finditer(sentence.group()):
            if not clause.group().strip():
                continue  # a sentence with "?", blanked out by the caller
            a, b = sentence.start() + clause.start(), sentence.start() + clause.end()
            inside = [i for i, t in enumerate(tokens) if a <= t.start < b]
            if inside:
                clauses.append(inside)
        led = [_question_led([tokens[i] for i in c], language) for c in clauses]
        asking = [all(tokens[i].lemmas & _ASKING or not tokens[i].text.isalpha() for i in c) for c in clauses]
        for k, c in enumerate(clauses):
            can_start = k == 0 or asking[k - 1] or led[k - 1]
            not_subordinate = k == len(clauses) - 1 or led[k + 1]
            if led[k] and can_start and not_subordinate:
                yield (c[0], c[-1])


def question(tokens: Sequence[Token], text: str, language: str) -> Iterator[tuple[int, int]]:
    for m in _QUESTION.finditer(text):
        inside = [i for i, t in enumerate(tokens) if m.start() <= t.start < m.end()]
        if len(inside) >= 3:
            yield (inside[0], inside[-1])
    unasked = _QUESTION.sub(lambda m: " " * len(m.group()), text)  # sentences with "?" are found above
    yield from _unpunctuated_questions(tokens, unasked, language)


FINDERS: dict[str, Callable[[Sequence[Token], str, str], Iterator[tuple[int, int]]]] = {
    "person_name": person_name,
    "organisation": organisation,
    "operator_action": operator_action,
    "question": question,
}
