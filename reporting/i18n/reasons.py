"""Why a criterion was judged as it was, in the reader's words.

The judging stage (pipeline/judging/scoring.py) explains each verdict in short English clauses
joined by "; " ("said: hello", "not said by the operator", "said outside its window (first 30 s)"),
stored with the verdict. They are data for logs and exports in English; on a page each clause is
matched against the forms the stage writes and put into words. A clause of no known form (a
verdict judged by an older version) is shown as stored.
"""

from __future__ import annotations

import re
from typing import Callable

from reporting.i18n import N_, Words

__all__ = ["reason_in_words"]

# "by the operator" and "of the operator" take different cases in Russian (оператором, оператора).
_BY = {"operator": N_("by the operator"), "customer": N_("by the customer"), "unknown": N_("by an unknown speaker")}
_OF = {"operator": N_("of the operator"), "customer": N_("of the customer"), "unknown": N_("of an unknown speaker")}


def _by(words: Words, who: str) -> str:
    return words(_BY[who]) if who in _BY else who


def _of(words: Words, who: str) -> str:
    return words(_OF[who]) if who in _OF else who


def _window(words: Words, text: str) -> str:
    """``first 30 s, last 2 turn(s)`` in words."""
    out = []
    for part in text.split(", "):
        m = re.fullmatch(r"(first|last) ([\d.]+) (s|turn\(s\))", part)
        if m is None:
            out.append(words(N_("anywhere")) if part == "anywhere" else part)
            continue
        edge, amount, unit = m.groups()
        if unit == "s":
            template = N_("first {n} s") if edge == "first" else N_("last {n} s")
            out.append(words(template).format(n=amount))
        else:
            count = int(float(amount))
            out.append(words.plural("first {n} turn", "first {n} turns", count) if edge == "first"
                       else words.plural("last {n} turn", "last {n} turns", count))
    return ", ".join(out)


# (pattern of a clause, its words); the groups are put into the words by name.
_CLAUSES: list[tuple[re.Pattern[str], Callable[[Words, re.Match[str]], str]]] = [
    (re.compile(r"said: (?P<phrase>.+)"), lambda w, m: w(N_("said: {phrase}")).format(phrase=m["phrase"])),
    (re.compile(r"paraphrase of: (?P<phrase>.+) \((?P<score>[\d.]+)\)"),
     lambda w, m: w(N_("said in other words: {phrase} (similarity {score})")).format(
         phrase=m["phrase"], score=w.number(float(m["score"]), 2))),
    (re.compile(r"not said by the (?P<who>\w+)(?: \((?P<missing>.+) missing\))?"),
     lambda w, m: w(N_("not said {by_who}")).format(by_who=_by(w, m["who"])) + (
         " " + w(N_("(missing: {parts})")).format(parts=m["missing"]) if m["missing"] else "")),
    (re.compile(r"said outside its window \((?P<window>.+)\)(?: \((?P<missing>.+) missing\))?"),
     lambda w, m: w(N_("said outside its place in the call ({window})")).format(window=_window(w, m["window"]))),
    (re.compile(r"said before (?P<other>\S+), out of order.*"),
     lambda w, m: w(N_("said too early, before another step of the script"))),
    (re.compile(r"no (?P<who>\w+) speech recognised"),
     lambda w, m: w(N_("no speech {of_who} was recognised")).format(of_who=_of(w, m["who"]))),
    (re.compile(r"low recognition confidence \((?P<conf>[\d.]+)\)"),
     lambda w, m: w(N_("speech recognised with low confidence ({share})")).format(
         share=w.percent(float(m["conf"])))),
    (re.compile(r"maybe said: \"(?P<quote>.+)\" at (?P<at>[\d:]+) recognised with low confidence "
                r"\((?P<conf>[\d.]+)\).*"),
     lambda w, m: w(N_("maybe said: “{quote}” at {at}, recognised with low confidence ({share})")).format(
         quote=m["quote"], at=m["at"], share=w.percent(float(m["conf"])))),
    (re.compile(r"heard in speech not attributed to a speaker"),
     lambda w, m: w(N_("heard in speech not attributed to a speaker"))),
    (re.compile(r"(?P<who>\w+) speech at (?P<spans>.+) not transcribed"),
     lambda w, m: w(N_("speech {of_who} at {spans} was not transcribed")).format(
         of_who=_of(w, m["who"]), spans=m["spans"].replace(" and ", " + "))),
    (re.compile(r"speech of an unknown speaker at (?P<spans>.+) not transcribed"),
     lambda w, m: w(N_("speech of an unknown speaker at {spans} was not transcribed")).format(
         spans=m["spans"].replace(" and ", " + "))),
    (re.compile(r"no forbidden phrase heard"), lambda w, m: w(N_("no forbidden phrase heard"))),
    (re.compile(r"no phrases for language (?P<lang>.+)|the scorecard has no phrases for language (?P<lang2>.+)"),
     lambda w, m: w(N_("the scorecard has no phrases for this language"))),
    (re.compile(r"(?P<category>[a-z_]+): (?P<phrase>.+)"),
     lambda w, m: f"{w.of('phrase_category', m['category'])}: {m['phrase']}"),
]


def reason_in_words(reason: str | None, words: Words) -> str:
    """A stored verdict reason in ``words``' language, clause by clause; "" for none."""
    if not reason:
        return ""
    out = []
    for clause in reason.split("; "):
        for pattern, say in _CLAUSES:
            match = pattern.fullmatch(clause.strip())
            if match is not None:
                out.append(say(words, match))
                break
        else:
            out.append(clause)
    return "; ".join(out)
