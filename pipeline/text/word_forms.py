"""Other forms of a query word that a stemmer alone cannot join to it: Russian «помочь» and «помогли»,
«быть» and «буду», «они» and «ними», «довольный» and «доволен»; English irregular verbs («be» and «was»).

Russian: pymorphy3 gives the word's readings and each reading's paradigm (its lexeme). Only likely
readings are expanded (summed probability per lemma at least ``MIN_READING``), so «стали» means
«стать» and not also «сталь», and «уже» does not bring in «узкий». Words pymorphy3 does not know
(names, misrecognitions) are left as they are. English: the common irregular verbs below (regular
endings are the stemmer's job); forms that are also everyday words of another meaning (left, saw,
found, felt, can, will, may) are left out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

MIN_READING = 0.3
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_EN_IRREGULAR = """
be am is are was were been being; have has had having; do does did done doing; go goes went gone going;
get gets got gotten getting; say says said; make makes made; take takes took taken; come comes came;
see sees seen; know knows knew known; think thinks thought; tell tells told; give gives gave given;
send sends sent; pay pays paid; buy buys bought; bring brings brought; lose loses lost; keep keeps kept;
hold holds held; break breaks broke broken; speak speaks spoke spoken; understand understands understood;
write writes wrote written; mean means meant; begin begins began begun; choose chooses chose chosen;
forget forgets forgot forgotten; hear hears heard; run runs ran; sell sells sold; spend spends spent;
stand stands stood; steal steals stole stolen; fall falls fell fallen; drive drives drove driven;
ring rings rang rung; sit sits sat; build builds built; catch catches caught; teach teaches taught;
fly flies flew flown; grow grows grew grown; show shows showed shown; throw throws threw thrown;
wear wears wore worn; win wins won; meet meets met; sleep sleeps slept; lend lends lent
"""
_EN_FAMILY = {w: frozenset(f.split()) for f in _EN_IRREGULAR.split(";") for w in f.split()}


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=65536)
def word_forms(word: str) -> frozenset[str]:
    """The word (lower case) with its other forms: a known Russian word's likely paradigms, an English irregular
    verb's forms; any other word alone."""
    word = word.lower()
    if not _CYRILLIC.search(word):
        return _EN_FAMILY.get(word, frozenset({word}))
    morph = _morph()
    if not morph.word_is_known(word):
        return frozenset({word})
    parses = morph.parse(word)
    weight: dict[str, float] = defaultdict(float)
    for p in parses:
        weight[p.normal_form] += p.score
    top = parses[0].normal_form
    forms = {word}
    for p in parses:
        if p.normal_form == top or weight[p.normal_form] >= MIN_READING:
            forms.update(f.word for f in p.lexeme)
    return frozenset(forms)
