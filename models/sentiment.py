"""Sentiment of short texts (one utterance each), Russian and English, offline.

Every model returns a compound score in [-1, 1] per text, on VADER's scale: the signed
valences of the sentiment words (-4..4 each, after negation, boosters and "but") are
summed and squashed with ``x / sqrt(x² + 15)``.

- English: VADER (``vaderSentiment``, its lexicon ships in the wheel) plus a few
  call-centre phrases it misses ("my internet is down", "cancel my account"), added to
  VADER's raw sum (models/sentiment_data/en_phrases.tsv).
- Russian: no sentiment model ships on PyPI, so a lexicon authored for call-centre
  speech (models/sentiment_data/ru_lexicon.tsv): lemmas matched on every pymorphy3
  normal form, phrases ("сколько можно", "буду жаловаться", "спасибо большое"),
  negation ("не", "ни", "нет" flip a sentiment word up to three words later, as in
  VADER), boosters ("очень", "крайне") and dampeners ("немного"), and "но".

Labels use VADER's convention: below -0.05 negative, above 0.05 positive (the same band
for Russian; measured in models/sentiment_data/README.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, Sequence

Label = Literal["negative", "neutral", "positive"]
LANGUAGES = ("ru", "en")
DATA_DIR = Path(__file__).resolve().parent / "sentiment_data"
NEUTRAL_BAND = 0.05
# VADER's constants: the squashing of raw valence sums, the effect of a negation, of a booster, of "!".
NORMALIZE_ALPHA = 15.0
NEGATION_SCALAR = -0.74
BOOSTER_DECAY = (1.0, 0.95, 0.9)  # booster one, two, three words before the sentiment word
EXCLAMATION_STEP, MAX_EXCLAMATIONS = 0.292, 4
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5
SCOPE = 3  # words a negator or booster reaches
PHRASE_MAX_GAP = 1  # other words allowed between two words of a phrase

_EMOTICON_HINT = re.compile(r"[()\u2600-\u27bf\U0001f000-\U0001faff]")  # brackets, symbols, emoji
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


class SentimentModel(Protocol):
    language: str

    def score(self, texts: Sequence[str]) -> list[float]:
        """A compound score in [-1, 1] per text (0.0 for a text without sentiment)."""
        ...


def label_for(score: float, band: float = NEUTRAL_BAND) -> Label:
    if score > band:
        return "positive"
    if score < -band:
        return "negative"
    return "neutral"


def squash(raw: float) -> float:
    """VADER's normalisation of a raw valence sum into (-1, 1)."""
    return raw / math.sqrt(raw * raw + NORMALIZE_ALPHA)


def unsquash(compound: float) -> float:
    compound = max(min(compound, 0.9999), -0.9999)
    return compound * math.sqrt(NORMALIZE_ALPHA / (1.0 - compound * compound))


def guess_language(text: str) -> str:
    """"ru" when the text has more Cyrillic than Latin letters, else "en"."""
    return "ru" if len(_CYRILLIC.findall(text)) > len(_LATIN.findall(text)) else "en"


def _exclamation_emphasis(text: str, raw: float) -> float:
    if raw == 0.0:
        return raw
    bangs = min(text.count("!"), MAX_EXCLAMATIONS)
    return raw + math.copysign(bangs * EXCLAMATION_STEP, raw)


# ---------------------------------------------------------------------------
# Russian: lexicon over pymorphy3 lemmas
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    words: tuple[frozenset[str], ...]  # each word's lemmas
    valence: float
    text: str
    negatable: bool  # False when it holds its own negator ("не работает") or a fixed word ("спасибо большое")


@dataclass(frozen=True)
class RussianLexicon:
    words: dict[str, float]  # lemma or surface form -> valence
    surface_words: dict[str, float]  # matched only as written ("класс!", not "в классе")
    fixed: frozenset[str]  # words that negation does not flip ("спасибо")
    phrases_by_first: dict[str, tuple[Phrase, ...]]  # lemma of a phrase's first word -> phrases, longest first
    boosters: dict[str, float]
    negators: frozenset[str]
    contrasts: frozenset[str]
    acknowledgements: frozenset[str]  # "хорошо," opening a reply means "ok", not "good"
    emoticons: tuple[tuple[re.Pattern, float], ...]  # chat signs in the raw text: ")))", ":(", emoji


def _normalize(text: str) -> str:
    return text.lower().replace("ё", "е")


def load_russian_lexicon(path: Path = DATA_DIR / "ru_lexicon.tsv", lemmatizer=None) -> RussianLexicon:
    """Read the TSV (kind, term, value, note); phrases are lemmatised with ``lemmatizer``."""
    if lemmatizer is None:
        from models.nlp import load_lemmatizer

        lemmatizer = load_lemmatizer("ru")
    words: dict[str, float] = {}
    surface_words: dict[str, float] = {}
    emoticons: list[tuple[re.Pattern, float]] = []
    fixed: set[str] = set()
    phrases: list[tuple[tuple[frozenset[str], ...], float, str]] = []
    boosters: dict[str, float] = {}
    negators: set[str] = set()
    contrasts: set[str] = set()
    acknowledgements: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        kind, term = fields[0], _normalize(fields[1].strip())
        value = float(fields[2]) if len(fields) > 2 and fields[2].strip() else 0.0
        if kind in ("word", "fixed"):
            if term in words:
                raise ValueError(f"{path}:{number}: {term!r} listed twice")
            words[term] = value
            if kind == "fixed":
                fixed.add(term)
        elif kind == "surface":
            surface_words[term] = value
        elif kind == "emoticon":
            sign = fields[1].strip()
            # A bracket counts as a smiley only in a run: "))" or ")))", never one closing a parenthesis.
            pattern = re.escape(sign[0]) + "{2,}" if sign in ("))", "((") else re.escape(sign)
            emoticons.append((re.compile(pattern), value))
        elif kind == "phrase":
            phrases.append((tuple(frozenset(lemmatizer.lemmas(w)) for w in _WORD.findall(term)), value, term))
        elif kind == "booster":
            boosters[term] = value
        elif kind == "negator":
            negators.add(term)
        elif kind == "contrast":
            contrasts.add(term)
        elif kind == "acknowledgement":
            acknowledgements.add(term)
        else:
            raise ValueError(f"{path}:{number}: unknown kind {kind!r}")
    stops = fixed | negators
    built = [
        Phrase(words_, value, text, negatable=not any(w & stops for w in words_)) for words_, value, text in phrases
    ]
    by_first: dict[str, list[Phrase]] = {}
    for phrase in sorted(built, key=lambda p: -len(p.words)):
        for lemma in phrase.words[0]:
            by_first.setdefault(lemma, []).append(phrase)
    return RussianLexicon(
        words=words,
        fixed=frozenset(fixed),
        phrases_by_first={k: tuple(v) for k, v in by_first.items()},
        boosters=boosters,
        negators=frozenset(negators),
        contrasts=frozenset(contrasts),
        acknowledgements=frozenset(acknowledgements),
        surface_words=surface_words,
        emoticons=tuple(emoticons),
    )


# Words (letters with inner hyphens: "наконец-то", "чуть-чуть") and clause punctuation,
# which ends the reach of a negator or booster.
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|[.,;:!?…—()\"«»]+")


@dataclass
class _Token:
    text: str
    lemmas: frozenset[str]
    is_break: bool  # punctuation
    valence: float = 0.0
    has_valence: bool = False
    consumed: bool = False  # part of a matched phrase
    phrase_start: int | None = None  # on a phrase's last word: where the phrase starts
    negatable: bool = True


class RussianLexiconSentiment:
    """Lexicon-based Russian sentiment: phrases, lemmas, negation, boosters, "но"."""

    language = "ru"

    def __init__(self, lexicon: RussianLexicon | None = None, lemmatizer=None) -> None:
        if lemmatizer is None:
            from models.nlp import load_lemmatizer

            lemmatizer = load_lemmatizer("ru")
        self._lemmatizer = lemmatizer
        self.lexicon = lexicon or load_russian_lexicon(lemmatizer=lemmatizer)

    def score(self, texts: Sequence[str]) -> list[float]:
        return [self.score_one(text) for text in texts]

    def score_one(self, text: str) -> float:
        tokens = self._tokens(text)
        self._match_phrases(tokens)
        self._word_valences(tokens)
        raw = self._sum_with_contrast(tokens) + self._emoticon_valence(text)
        return squash(_exclamation_emphasis(text, raw))

    def _emoticon_valence(self, text: str) -> float:
        """Each kind of emoticon present counts once, whatever its repeats (a run of "🤣🤣🤣" is one laugh)."""
        if not _EMOTICON_HINT.search(text):
            return 0.0
        return sum(value for pattern, value in self.lexicon.emoticons if pattern.search(text))

    def _tokens(self, text: str) -> list[_Token]:
        out = []
        for match in _TOKEN.finditer(_normalize(text)):
            piece = match.group()
            if _WORD.fullmatch(piece):
                out.append(_Token(piece, self._lemmatizer.lemmas(piece) | {piece}, False))
            else:
                out.append(_Token(piece, frozenset(), True))
        return out

    def _match_phrases(self, tokens: list[_Token]) -> None:
        lex = self.lexicon
        for i, token in enumerate(tokens):
            if token.is_break or token.consumed:
                continue
            candidates = {p for lemma in token.lemmas for p in lex.phrases_by_first.get(lemma, ())}
            for phrase in sorted(candidates, key=lambda p: (-len(p.words), p.text)):
                positions = self._phrase_positions(tokens, i, phrase)
                if positions is None:
                    continue
                for k in positions:
                    tokens[k].consumed = True
                last = tokens[positions[-1]]
                last.valence, last.has_valence = phrase.valence, phrase.valence != 0.0
                last.phrase_start, last.negatable = i, phrase.negatable
                break

    def _phrase_positions(self, tokens: list[_Token], start: int, phrase: Phrase) -> list[int] | None:
        positions = [start]
        k = start
        for wanted in phrase.words[1:]:
            gap, k = 0, k + 1
            while k < len(tokens) and not tokens[k].is_break and not tokens[k].consumed:
                if tokens[k].lemmas & wanted:
                    break
                gap += 1
                # A negator may not hide inside a phrase: "опять не работает" is not "опять работает".
                if gap > PHRASE_MAX_GAP or tokens[k].text in self.lexicon.negators:
                    return None
                k += 1
            else:
                return None
            positions.append(k)
        return positions

    def _word_valences(self, tokens: list[_Token]) -> None:
        lex = self.lexicon
        first_word = next((k for k, t in enumerate(tokens) if not t.is_break), None)
        for i, token in enumerate(tokens):
            if token.is_break:
                continue
            if i == first_word and self._is_acknowledgement(tokens, i):
                continue
            if not token.consumed:
                valence = self._lookup(token)
                if valence is None:
                    continue
                token.valence, token.has_valence = valence, valence != 0.0
                token.negatable = not (token.lemmas & lex.fixed)
            if not token.has_valence:
                continue
            self._apply_modifiers(tokens, i if token.phrase_start is None else token.phrase_start, token)

    def _is_acknowledgement(self, tokens: list[_Token], i: int) -> bool:
        """An opening "хорошо" / "ладно" followed by a pause: a reply meaning "ok"."""
        return tokens[i].text in self.lexicon.acknowledgements and (i + 1 == len(tokens) or tokens[i + 1].is_break)

    def _lookup(self, token: _Token) -> float | None:
        words = self.lexicon.words
        if token.text in self.lexicon.surface_words:
            return self.lexicon.surface_words[token.text]
        if token.text in words:
            return words[token.text]
        found = [words[lemma] for lemma in token.lemmas if lemma in words]
        return sum(found) / len(found) if found else None

    def _apply_modifiers(self, tokens: list[_Token], start: int, token: _Token) -> None:
        """Boosters and negators in the ``SCOPE`` words before ``start`` (a word, or a phrase's first word)."""
        lex = self.lexicon
        distance, k, negated = 0, start - 1, False
        while k >= 0 and distance < SCOPE and not tokens[k].is_break:
            before = tokens[k]
            if not before.consumed:
                if before.text in lex.boosters:
                    token.valence += math.copysign(lex.boosters[before.text] * BOOSTER_DECAY[distance], token.valence)
                elif before.text in lex.negators:
                    negated = True
            distance, k = distance + 1, k - 1
        if negated and token.negatable:
            token.valence *= NEGATION_SCALAR

    def _sum_with_contrast(self, tokens: list[_Token]) -> float:
        contrast_at = next((i for i, t in enumerate(tokens) if t.text in self.lexicon.contrasts), None)
        total = 0.0
        for i, token in enumerate(tokens):
            if not token.has_valence:
                continue
            weight = 1.0
            if contrast_at is not None:
                weight = CONTRAST_BEFORE if i < contrast_at else CONTRAST_AFTER
            total += token.valence * weight
        return total


# ---------------------------------------------------------------------------
# English: VADER + call-centre phrases
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhrasePattern:
    pattern: re.Pattern
    valence: float


def load_english_phrases(path: Path = DATA_DIR / "en_phrases.tsv") -> tuple[PhrasePattern, ...]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        out.append(PhrasePattern(re.compile(rf"\b{fields[0].strip()}\b"), float(fields[1])))
    return tuple(out)


def load_english_lexicon_changes(path: Path = DATA_DIR / "en_lexicon.tsv") -> dict[str, float]:
    changes = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            changes[fields[0].strip()] = float(fields[1])
    return changes


class EnglishVaderSentiment:
    """VADER's compound score, with call-centre phrases added to its raw valence sum."""

    language = "en"

    def __init__(
        self, phrases: tuple[PhrasePattern, ...] | None = None, lexicon_changes: dict[str, float] | None = None
    ) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer, negated

        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(load_english_lexicon_changes() if lexicon_changes is None else lexicon_changes)
        self._negated = negated
        self.phrases = load_english_phrases() if phrases is None else phrases

    def score(self, texts: Sequence[str]) -> list[float]:
        return [self.score_one(text) for text in texts]

    def score_one(self, text: str) -> float:
        compound = self._vader.polarity_scores(text)["compound"]
        extra = self._phrase_valence(text.lower().replace("’", "'"))
        if extra == 0.0:
            return compound
        return squash(unsquash(compound) + extra)

    def _phrase_valence(self, text: str) -> float:
        total = 0.0
        taken: list[tuple[int, int]] = []
        for phrase in self.phrases:
            for match in phrase.pattern.finditer(text):
                if any(match.start() < end and start < match.end() for start, end in taken):
                    continue  # an earlier (more specific) phrase covers these words
                taken.append((match.start(), match.end()))
                valence = phrase.valence
                before = text[: match.start()].split()[-SCOPE:]
                if valence > 0 and before and self._negated(before):
                    valence *= NEGATION_SCALAR  # "haven't fixed anything"
                total += valence
        return total


@lru_cache(maxsize=None)
def load_sentiment(language: str) -> SentimentModel:
    """The sentiment model for ``language`` ("ru" or "en"), built once per process."""
    if language == "ru":
        return RussianLexiconSentiment()
    if language == "en":
        return EnglishVaderSentiment()
    raise ValueError(f"no sentiment model for language {language!r} (supported: {', '.join(LANGUAGES)})")
