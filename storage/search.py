"""Transcript search (issue #7): words and quoted phrases, Russian and English, over every stored utterance.

Full-text search is DuckDB's ``fts`` extension. It cannot be downloaded here, so it is loaded
from the files of the ``duckdb_extension_fts`` package, which must match the pinned duckdb.

Stemming: each word is stemmed by both Snowball stemmers, English then Russian. Each leaves the
other's alphabet alone, so every word gets the stemmer of its own language whatever the call's
language (English product names in a Russian call, a Russian word in an English one), one index
serves both languages and a query needs no language. ``search_utterances.terms`` keeps those stems
in order; the fts index is built over them with its own stemmer off, and a quoted phrase is
checked on the same stems, so «номера договоров» also finds «номер договора». A query word also
stands for its other forms that a stemmer cannot join («помогли» and «помочь», "was" and "be":
``pipeline.text.word_forms``): any of their stems matches it.

A DuckDB fts index does not follow its table: ``refresh_search_index`` rebuilds it whole (2.6 s
at 100k utterances, 13 s at 1M on 2 cores), at the end of each nightly run. Utterances whose text
changed since (a call processed again) drop out of results until the next refresh; role flips
and call metadata are read at query time, so they are always current.
"""

from __future__ import annotations

import importlib.util
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb

from pipeline.text.word_forms import word_forms
from reporting.i18n import N_, WordedError
from storage.call_period import period_clauses
from storage.calls import flipped_role
from storage.db import now, one_row

FTS_SCHEMA = "fts_main_search_utterances"
# A word: letters and digits (RE2 in SQL, Python's re for highlighting: the same characters).
_WORD_SQL = r"[\p{L}\p{N}]+"
_WORD_RE = re.compile(r"[^\W_]+")
# Quotation marks that open or close a phrase; «» and “” as typed on Russian and English keyboards.
_QUOTES = re.compile(r"[\"«»“”„]")

Role = Literal["operator", "customer"]


class SearchUnavailable(WordedError, RuntimeError):
    """The fts extension cannot be loaded, or the index was never built; the message says what to do.

    ``message`` is an English template marked for the catalogue and ``values`` fill it, so the app
    says it in the reader's language (``in_words``); ``str()`` is the English, for the log."""


def _stems_sql(expr: str) -> str:
    """SQL for the list of stems of the words in ``expr`` (a VARCHAR expression)."""
    return f"list_transform(regexp_extract_all(lower({expr}), '{_WORD_SQL}'), t -> stem(stem(t, 'english'), 'russian'))"


# ---- the extension ---------------------------------------------------------------------------


def fts_extension_path() -> Path:
    """The fts extension file for this duckdb, from the installed ``duckdb_extension_fts`` package."""
    wanted = f"duckdb-extension-fts=={duckdb.__version__}"
    spec = importlib.util.find_spec("duckdb_extension_fts")
    if spec is None or not spec.submodule_search_locations:
        raise SearchUnavailable(N_("transcript search needs DuckDB's full-text extension: install {package} "
                                   "(extensions cannot be downloaded at run time here)"), package=wanted)
    base = Path(next(iter(spec.submodule_search_locations)))
    path = base / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if not path.is_file():
        shipped = sorted(p.parent.name for p in base.glob("extensions/*/fts.duckdb_extension"))
        raise SearchUnavailable(N_("no full-text extension for DuckDB {version} in {folder} (it has: {shipped}): "
                                   "install {package}"), version=duckdb.__version__, folder=base,
                                shipped=", ".join(shipped) or "–", package=wanted)
    return path


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the fts extension into this connection's database, from the package's file (never downloaded)."""
    path = fts_extension_path()
    try:
        con.execute(f"LOAD '{str(path).replace(chr(39), chr(39) * 2)}'")
    except duckdb.Error as err:
        raise SearchUnavailable(N_("cannot load DuckDB's full-text extension from {path}: {error}"), path=path,
                                error=err) from err


# ---- building the index ----------------------------------------------------------------------


@dataclass(frozen=True)
class IndexStatus:
    built_at: datetime
    utterances: int
    calls: int
    build_s: float
    calls_since: int = 0  # processed calls stored after the build: not searchable until the next refresh


def refresh_search_index(con: duckdb.DuckDBPyConnection) -> IndexStatus:
    """Rebuild the search index over every processed call's utterances, in one transaction
    (a failed rebuild leaves the previous index). Call after loading calls (the nightly run's end)."""
    load_fts(con)
    started = time.perf_counter()
    built_at = now()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM search_utterances")
        con.execute(f"""
            INSERT INTO search_utterances
            SELECT row_number() OVER (ORDER BY s.call_id, s.idx), s.call_id, s.idx, hash(s.text),
                   array_to_string({_stems_sql('s.text')}, ' ')
            FROM segments s JOIN calls c ON c.call_id = s.call_id AND c.status = 'processed'
        """)
        # The terms are stems already, lower-case, split by single spaces: the index only splits them.
        con.execute("PRAGMA create_fts_index('search_utterances', 'doc_id', 'terms', stemmer='none', "
                    r"stopwords='none', ignore='\s+', strip_accents=0, lower=0, overwrite=1)")
        utterances, calls = one_row(con.execute("SELECT count(*), count(DISTINCT call_id) FROM search_utterances"))
        build_s = time.perf_counter() - started
        con.execute("DELETE FROM search_index")
        con.execute("INSERT INTO search_index VALUES (?, ?, ?, ?)", [built_at, utterances, calls, build_s])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return IndexStatus(built_at, utterances, calls, build_s)


def index_status(con: duckdb.DuckDBPyConnection) -> IndexStatus | None:
    """The last build, with how many calls came after it; None if never built (or the database predates search)."""
    present = one_row(con.execute(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        " AND table_name = 'search_index'),"
        " (SELECT count(*) FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = ?)",
        [FTS_SCHEMA]))
    if not all(present):
        return None
    row = con.execute(
        "SELECT built_at, utterances, calls, build_s,"
        " (SELECT count(*) FROM calls c WHERE c.status = 'processed' AND c.processed_at > i.built_at)"
        " FROM search_index i").fetchone()
    return None if row is None else IndexStatus(*row)


# ---- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What was typed: words anywhere in an utterance, and quoted phrases (their words in a row)."""
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases


def parse_query(text: str) -> Query:
    """``руководитель "чем могу помочь"`` -> words (руководитель,), phrases (чем могу помочь,).
    An unclosed quote runs to the end (the reviewer is still typing)."""
    parts = _QUOTES.split(text or "")
    words = tuple(w for part in parts[0::2] for w in part.split())
    phrases = tuple(" ".join(p.split()) for p in parts[1::2] if p.split())
    return Query(words, phrases)


@dataclass(frozen=True)
class SearchFilter:
    role: Role | None = None  # who said it, after any role flip by a reviewer
    since: datetime | None = None  # the call took place in [since, until) (else: when it was processed)
    until: datetime | None = None
    operators: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    call_id: str
    idx: int  # the utterance's index in the call (segments.idx)
    start_s: float
    end_s: float
    role: str  # operator | customer | unknown, after any role flip
    text: str
    spans: tuple[tuple[int, int], ...]  # [start, end) character ranges of ``text`` that matched
    call_at: datetime | None
    operator_id: str | None
    team: str | None
    file_name: str
    language: str | None
    score: float  # BM25: higher is better


@dataclass(frozen=True)
class SearchResults:
    hits: tuple[SearchHit, ...]
    total: int  # matches in all, beyond this page
    terms: tuple[str, ...]  # the stems searched for


@dataclass(frozen=True)
class _Stemmed:
    """A query as stems: per word, the stems any of which matches it (its own, and with ``expand`` those of
    its other forms); per phrase, the same per position."""
    words: tuple[frozenset[str], ...]
    phrases: tuple[tuple[frozenset[str], ...], ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(
            sorted({t for group in self.words for t in group} | {t for p in self.phrases for g in p for t in g})
        )


def _stem_query(con: duckdb.DuckDBPyConnection, query: Query, expand: bool) -> _Stemmed:
    # Words as the index cuts them (the same characters as the SQL pattern), each with its other forms.
    tokens = [_WORD_RE.findall(" ".join(query.words)), *(_WORD_RE.findall(p) for p in query.phrases)]
    forms = [[sorted(word_forms(t) if expand else {t.lower()}) for t in ts] for ts in tokens]
    (stemmed,) = one_row(con.execute(
        "SELECT list_transform(?::VARCHAR[][][], ts -> list_transform(ts, fs -> list_distinct("
        "list_transform(fs, t -> stem(stem(lower(t), 'english'), 'russian')))))", [forms]))
    groups = [[frozenset(g) for g in ts] for ts in stemmed]
    words = set(groups[0]) | {p[0] for p in groups[1:] if len(p) == 1}  # a one-word "phrase" is a word
    return _Stemmed(tuple(sorted(words, key=sorted)), tuple(tuple(p) for p in groups[1:] if len(p) > 1))


def search(con: duckdb.DuckDBPyConnection, text: str, filt: SearchFilter = SearchFilter(), limit: int = 50,
           offset: int = 0, expand: bool = True) -> SearchResults:
    """Utterances of processed calls with every word of ``text`` (in any form) and its quoted phrases' words
    in a row, best first. ``expand``: also Russian forms a stemmer cannot join (``pipeline.text.word_forms``).
    Raises ``SearchUnavailable`` when the index was never built."""
    load_fts(con)
    if index_status(con) is None:
        raise SearchUnavailable(N_("the search index has not been built yet: it is built at the end of each "
                                   "nightly run"))
    stemmed = _stem_query(con, parse_query(text), expand)
    if not stemmed.terms:
        return SearchResults((), 0, ())

    # BM25 ranks utterances with any of the stems; each word (one of its stems) and each phrase
    # (its positions in a row, on the stems in order) must then be there.
    checks = "".join(" AND list_has_any(stems, ?::VARCHAR[])" for _ in stemmed.words)
    checks += "".join(" AND regexp_matches(' ' || terms || ' ', ?)" for _ in stemmed.phrases)
    args: list = [" ".join(stemmed.terms), *(sorted(g) for g in stemmed.words),
                  *(" " + " ".join("(" + "|".join(re.escape(t) for t in sorted(g)) + ")" for g in p) + " "
                    for p in stemmed.phrases)]
    where = ["TRUE"]
    if filt.role is not None:
        # Stored speaker as the pipeline said; a call flipped by reviewers has the other one.
        where.append("((f.call_id IS NULL AND s.speaker = ?) OR (f.call_id IS NOT NULL AND s.speaker = ?))")
        args += [filt.role, flipped_role(filt.role)]
    period, period_args = period_clauses(filt.since, filt.until)
    where += period
    args += period_args
    if filt.operators:
        where.append("list_contains(?::VARCHAR[], c.operator_id)")
        args.append(list(filt.operators))
    if filt.teams:
        where.append("list_contains(?::VARCHAR[], c.team)")
        args.append(list(filt.teams))
    rows = con.execute(f"""
        WITH flipped AS (
            SELECT call_id FROM reviews WHERE action = 'flip_roles' GROUP BY call_id HAVING count(*) % 2 = 1
        ),
        ranked AS (
            SELECT call_id, idx, text_hash, terms, string_split(terms, ' ') AS stems, score FROM (
                SELECT *, {FTS_SCHEMA}.match_bm25(doc_id, ?) AS score FROM search_utterances
            ) WHERE score IS NOT NULL
        ),
        hits AS (SELECT call_id, idx, text_hash, score FROM ranked WHERE TRUE{checks})
        SELECT h.call_id, h.idx, s.start_s, s.end_s, s.speaker, f.call_id IS NOT NULL AS flipped, s.text,
               coalesce(c.started_at, c.processed_at) AS call_at, c.operator_id, c.team, c.file_name, c.language,
               h.score, count(*) OVER () AS total
        FROM hits h
        JOIN segments s ON s.call_id = h.call_id AND s.idx = h.idx AND hash(s.text) = h.text_hash
        JOIN calls c ON c.call_id = h.call_id AND c.status = 'processed'
        LEFT JOIN flipped f ON f.call_id = h.call_id
        WHERE {' AND '.join(where)}
        ORDER BY h.score DESC, call_at DESC, h.call_id, h.idx
        LIMIT ? OFFSET ?
    """, [*args, max(int(limit), 0), max(int(offset), 0)]).fetchall()
    spans = _spans(con, [r[6] for r in rows], stemmed)
    hits = tuple(
        SearchHit(call_id, idx, start, end, flipped_role(speaker) if flipped else speaker, said, marks, call_at,
                  operator_id, team, file_name, language, score)
        for (call_id, idx, start, end, speaker, flipped, said, call_at, operator_id, team, file_name, language, score,
             _), marks in zip(rows, spans)
    )
    if rows:
        total = rows[0][-1]
    elif offset > 0:  # past the last page: count without it
        total = search(con, text, filt, limit=1, offset=0, expand=expand).total
    else:
        total = 0
    return SearchResults(hits, total, stemmed.terms)


def match_spans(con: duckdb.DuckDBPyConnection, text: str, query: str) -> tuple[tuple[int, int], ...]:
    """Where ``query`` matches in ``text`` (for marking an utterance opened from a search result)."""
    load_fts(con)
    return _spans(con, [text], _stem_query(con, parse_query(query), expand=True))[0]


def _spans(con: duckdb.DuckDBPyConnection, texts: list[str], stemmed: _Stemmed) -> list[tuple[tuple[int, int], ...]]:
    """Per text, the character ranges of its matching words and of its phrases' runs, merged."""
    tokens = [[(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(t)] for t in texts]
    flat = [w for ts in tokens for _, _, w in ts]
    if not flat:
        return [() for _ in texts]
    (stems,) = one_row(
        con.execute("SELECT list_transform(?::VARCHAR[], t -> stem(stem(lower(t), 'english'), 'russian'))", [flat])
    )
    out, at = [], 0
    for ts in tokens:
        own = stems[at : at + len(ts)]
        at += len(ts)
        marks = [(s, e) for (s, e, _), stem in zip(ts, own) if any(stem in g for g in stemmed.words)]
        for phrase in stemmed.phrases:
            n = len(phrase)
            marks += [(ts[i][0], ts[i + n - 1][1]) for i in range(len(ts) - n + 1)
                      if all(stem in g for stem, g in zip(own[i : i + n], phrase))]
        out.append(_merge(marks))
    return out


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return tuple((s, e) for s, e in merged)
