"""Transcript search (issue #7) on the calls the real nightly flow stored from the sample recordings.

What each search should find is worked out from the stored texts themselves (word forms listed
here, matched with plain regular expressions), never hard-coded: the tests fail if recognition
stops producing those words, and compare the full-text index with an independent reading.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest

from qa_app import ui
from storage import search as S
from storage.calls import add_review
from storage.db import connect, now
from usecases import masking

# Query word -> the forms of it that count as a match (the query's own form is often absent).
RU_WORDS = {
    "договоры": "договор договора договору договором договоре договоры договоров договорам",
    "служба": "служба службы службе службу службой служб службам службами",
    "спасибо": "спасибо",
}
EN_WORDS = {
    "calls": "call calls called calling",
    "works": "work works worked working",
    "payments": "payment payments",
}


def _copy(src: Path, target: Path) -> Path:
    shutil.copyfile(src, target)
    wal = Path(str(src) + ".wal")
    if wal.exists():
        shutil.copyfile(wal, str(target) + ".wal")
    return target


@pytest.fixture(scope="module")
def indexed(flow_db, tmp_path_factory) -> Path:
    """A copy of the flow's database with the search index built (read-only use)."""
    db = _copy(flow_db["db"], tmp_path_factory.mktemp("search") / "callqa.duckdb")
    with connect(db) as con:
        S.refresh_search_index(con)
    return db


@pytest.fixture
def writable(indexed, tmp_path) -> Path:
    return _copy(indexed, tmp_path / "callqa.duckdb")


def _utterances(db: Path) -> list[dict]:
    with connect(db, read_only=True) as con:
        cur = con.execute(
            "SELECT s.call_id, s.idx, s.speaker, s.text, c.language, c.operator_id, c.team,"
            " coalesce(c.started_at, c.processed_at) AS call_at"
            " FROM segments s JOIN calls c USING (call_id) WHERE c.status = 'processed'")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def _with_forms(db: Path, forms: str) -> set[tuple[str, int]]:
    pattern = re.compile(r"\b(" + "|".join(forms.split()) + r")\b", re.IGNORECASE)
    return {(u["call_id"], u["idx"]) for u in _utterances(db) if pattern.search(u["text"])}


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower().replace("ё", "е")))


def _search(db: Path, query: str, filt: S.SearchFilter = S.SearchFilter(), limit: int = 500) -> S.SearchResults:
    with connect(db, read_only=True) as con:
        return S.search(con, query, filt, limit=limit)


def _keys(results: S.SearchResults) -> set[tuple[str, int]]:
    return {(h.call_id, h.idx) for h in results.hits}


@pytest.mark.parametrize("query,forms", [*RU_WORDS.items(), *EN_WORDS.items()], ids=[*RU_WORDS, *EN_WORDS])
def test_a_word_finds_every_form_of_it(indexed, query, forms):
    expected = _with_forms(indexed, forms)
    assert expected, f"no stored utterance has a form of {query!r}: pick a word the sample calls really contain"
    found = _search(indexed, query)
    assert _keys(found) == expected and found.total == len(expected)
    for hit in found.hits:  # each hit marks the matching word, whatever its form
        marked = {hit.text[s:e].lower() for s, e in hit.spans}
        assert marked and marked <= set(forms.split()), (hit.text, marked)
        assert hit.end_s > hit.start_s and hit.role in ("operator", "customer", "unknown") and hit.score > 0


def _search_stems_only(db: Path, query: str) -> S.SearchResults:
    with connect(db, read_only=True) as con:
        return S.search(con, query, limit=500, expand=False)


def test_inflection_is_what_finds_them(indexed):
    # The query's own form is absent: the stemmer alone connects it to the stored forms.
    texts = " ".join(_normalised(u["text"]) for u in _utterances(indexed)).split()
    for query, forms in (("договоры", RU_WORDS["договоры"]), ("payments", EN_WORDS["payments"])):
        assert query not in texts and _with_forms(indexed, forms)
        assert _keys(_search_stems_only(indexed, query)) == _with_forms(indexed, forms)


# Forms a stemmer cannot join (another stem, suppletion): found through pipeline.text.word_forms.
IRREGULAR = {
    "помогли": "помочь помогу поможешь поможет поможем поможете помогут помог помогла помогло помогли помоги помогите",
    "быть": "быть буду будешь будет будем будете будут был была было были будь будьте",
    "они": "они их им ими них ним ними",
    "be": "be am is are was were been being",
}


@pytest.mark.parametrize("query,forms", IRREGULAR.items(), ids=list(IRREGULAR))
def test_other_word_forms_beyond_the_stemmer(indexed, query, forms):
    expected = _with_forms(indexed, forms)
    assert expected, f"no stored utterance has a form of {query!r}"
    found = _search(indexed, query)
    assert _keys(found) == expected
    for hit in found.hits:
        assert {hit.text[s:e].lower() for s, e in hit.spans} <= set(forms.split())
    assert _keys(_search_stems_only(indexed, query)) < expected, "the stemmer alone misses some of them"


def test_word_forms():
    from pipeline.text.word_forms import word_forms

    assert {"руководителем", "руководители"} <= word_forms("Руководитель")
    assert {"стать", "стали", "станет"} <= word_forms("стали") and "сталью" not in word_forms("стали")
    assert "узкий" not in word_forms("уже")
    assert word_forms("сетплювс") == {"сетплювс"}  # unknown (a misrecognised name): the stemmer's job
    assert {"go", "went", "gone"} <= word_forms("Went") and word_forms("laptop") == {"laptop"}


def test_both_languages_in_one_index(indexed):
    by_language = {}
    for query in (*RU_WORDS, *EN_WORDS):
        languages = {h.language for h in _search(indexed, query).hits}
        by_language[query] = languages
    assert all(by_language[q] == {"ru"} for q in RU_WORDS)
    assert all(by_language[q] == {"en"} for q in EN_WORDS)


def test_all_words_must_match(indexed):
    both = _with_forms(indexed, RU_WORDS["договоры"]) & _with_forms(indexed, "номер номера номеру номером")
    assert both, "some utterance asks for the contract number"
    assert _keys(_search(indexed, "номер договора")) == both
    assert _search(indexed, "договор calls").total == 0  # no utterance has both


def test_phrase_search(indexed):
    phrase = "чем могу помочь"
    expected = {
        (u["call_id"], u["idx"]) for u in _utterances(indexed) if f" {phrase} " in f" {_normalised(u['text'])} "
    }
    assert expected, f"the sample calls' greetings contain «{phrase}»"
    found = _search(indexed, f'"{phrase}"')
    assert _keys(found) == expected
    for hit in found.hits:  # the whole phrase is one highlighted span
        assert [_normalised(hit.text[s:e]) for s, e in hit.spans] == [phrase]
    # The same words in another order: each word is there, the phrase is not.
    assert _keys(_search(indexed, "помочь могу чем")) >= expected
    assert _search(indexed, '"помочь могу чем"').total == 0
    # Russian quotes, other word forms inside a phrase, and an unclosed quote.
    assert _keys(_search(indexed, "«номера договоров»")) == _keys(_search(indexed, '"номер договора"')) != set()
    assert _keys(_search(indexed, '"номер договора')) == _keys(_search(indexed, '"номер договора"'))


def test_filters_narrow_results(indexed):
    rows = {(u["call_id"], u["idx"]): u for u in _utterances(indexed)}
    query = "спасибо"
    every = _keys(_search(indexed, query))
    roles = {rows[k]["speaker"] for k in every}
    assert {"operator", "customer"} <= roles, "thanks are said by both parties in the sample calls"
    for role in ("operator", "customer"):
        found = _search(indexed, query, S.SearchFilter(role=role))
        assert _keys(found) == {k for k in every if rows[k]["speaker"] == role} and {h.role for h in found.hits} == {
            role
        }

    operator = "op.andreev"
    found = _keys(_search(indexed, query, S.SearchFilter(operators=(operator,))))
    assert found == {k for k in every if rows[k]["operator_id"] == operator} and found < every

    teams = {rows[k]["team"] for k in every}
    for team in teams:
        assert _keys(_search(indexed, query, S.SearchFilter(teams=(team,)))) == {
            k for k in every if rows[k]["team"] == team
        }

    times = sorted({rows[k]["call_at"] for k in every})
    assert len(times) >= 2, "the thanks come from calls at different times"
    since = times[1]
    found = _keys(_search(indexed, query, S.SearchFilter(since=since)))
    assert found == {k for k in every if rows[k]["call_at"] >= since} and found < every
    found = _keys(_search(indexed, query, S.SearchFilter(until=since)))
    assert found == {k for k in every if rows[k]["call_at"] < since} and found
    assert _search(indexed, query, S.SearchFilter(since=datetime(2000, 1, 1), until=datetime(2000, 1, 2))).total == 0
    assert (
        _search(indexed, query, S.SearchFilter(role="customer", operators=(operator,), teams=("no-such-team",))).total
        == 0
    )


def test_pages_cover_the_results_in_order(indexed):
    every = _search(indexed, "спасибо")
    assert every.total >= 3
    pages = []
    with connect(indexed, read_only=True) as con:
        for offset in range(0, every.total + 2, 2):
            page = S.search(con, "спасибо", limit=2, offset=offset)
            assert page.total == every.total
            pages += page.hits
    assert [(h.call_id, h.idx) for h in pages] == [(h.call_id, h.idx) for h in every.hits]
    assert [h.score for h in every.hits] == sorted((h.score for h in every.hits), reverse=True)


def test_no_hits_and_hostile_input_are_harmless(indexed):
    texts = " ".join(_normalised(u["text"]) for u in _utterances(indexed))
    assert "квазар" not in texts and "zebra" not in texts
    assert _search(indexed, "квазар").total == 0 and _search(indexed, "zebra").total == 0
    with connect(indexed, read_only=True) as con:
        before = con.execute("SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM segments)").fetchone()
    hostile = ["'; DROP TABLE calls; --", "договор' OR '1'='1", "' OR 1=1 --", "); DELETE FROM segments; --",
               "%", "_", "\\", '"', "«", '""', "   ", "", "🙂 emoji", "fts_main_search_utterances.match_bm25",
               "спасибо\x00", "слово " * 500]
    for query in hostile:
        found = _search(indexed, query)
        assert found.total >= len(found.hits)
        assert all(h.spans for h in found.hits), f"{query!r}: every hit really contains the searched words"
    assert _search(indexed, "договор' OR '1'='1").total == 0  # the quote is just punctuation: "or 1" is never said
    with connect(indexed, read_only=True) as con:
        after = con.execute("SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM segments)").fetchone()
    assert after == before


def test_role_flips_apply_without_rebuilding(writable):
    with connect(writable, read_only=True) as con:
        call_id = con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_rude.flac'").fetchone()[0]
    said = {h.idx for h in _search(writable, "служба", S.SearchFilter(role="operator")).hits if h.call_id == call_id}
    assert said, "the rude call's operator sends the customer to the security service"
    with connect(writable) as con:
        add_review(con, call_id, "anna.qa", "flip_roles")
    as_customer = {
        h.idx for h in _search(writable, "служба", S.SearchFilter(role="customer")).hits if h.call_id == call_id
    }
    assert as_customer == said
    assert not any(h.call_id == call_id for h in _search(writable, "служба", S.SearchFilter(role="operator")).hits)


def test_new_and_changed_calls_are_searchable_after_a_refresh(writable):
    with connect(writable) as con:
        template = con.execute("SELECT call_id FROM calls WHERE file_name = 'ru_stereo_good.flac'").fetchone()[0]
        # A new call, as the next night's run stores it: one line mentions the manager.
        con.execute("INSERT INTO calls SELECT * REPLACE ('new-call' AS call_id, ?::TIMESTAMP AS processed_at)"
                    " FROM calls WHERE call_id = ?", [now(), template])
        con.execute("INSERT INTO segments SELECT * REPLACE ('new-call' AS call_id,"
                    " CASE WHEN idx = 1 THEN 'Сейчас соединю вас с руководителем.' ELSE text END AS text)"
                    " FROM segments WHERE call_id = ?", [template])
        # A stored call processed again: its line about the contract now reads differently.
        old_idx = con.execute(
            "SELECT idx FROM segments WHERE call_id = ? AND text ILIKE '%договора%'", [template]
        ).fetchone()[0]
        con.execute(
            "UPDATE segments SET text = 'Назовите, пожалуйста, ваш лицевой счёт.' WHERE call_id = ? AND idx = ?",
            [template, old_idx],
        )
        status = S.index_status(con)
    assert status is not None and status.calls_since == 1
    assert _search(writable, "руководитель").total == 0, "not indexed yet"
    assert (template, old_idx) not in _keys(_search(writable, "договор")), "a changed text never shows the old words"

    with connect(writable) as con:
        rebuilt = S.refresh_search_index(con)
        assert S.index_status(con).calls_since == 0
    everything = _utterances(writable)
    assert (rebuilt.calls, rebuilt.utterances) == (len({u['call_id'] for u in everything}), len(everything))
    found = _search(writable, "руководитель")
    assert _keys(found) == {("new-call", 1)}
    hit = found.hits[0]
    assert [hit.text[s:e] for s, e in hit.spans] == ["руководителем"]
    assert (template, old_idx) in _keys(_search(writable, "лицевого счета"))


def test_unbuilt_index_and_the_extension(tmp_path):
    path = S.fts_extension_path()
    assert path.is_file() and f"v{duckdb.__version__}" in str(path)
    with connect(tmp_path / "empty.duckdb") as con:
        assert S.index_status(con) is None
        with pytest.raises(S.SearchUnavailable, match="not been built"):
            S.search(con, "спасибо")
        built = S.refresh_search_index(con)  # an empty database indexes to nothing, and says so
        assert (built.utterances, built.calls) == (0, 0)
        assert S.search(con, "спасибо").total == 0


def test_parse_query():
    assert S.parse_query('руководитель "чем могу помочь" card') == S.Query(
        ("руководитель", "card"), ("чем могу помочь",)
    )
    assert S.parse_query("«номер  договора» и “thank you”") == S.Query(("и",), ("номер договора", "thank you"))
    assert S.parse_query('"open phrase') == S.Query((), ("open phrase",))
    assert S.parse_query('  ""  ').empty


def test_masked_personal_data_is_never_highlighted():
    text = "Мой номер +7 916 123 45 67, карта заблокирована"
    marks = ((4, 9), (10, 26), (28, 33))  # "номер", the phone number, "карта"
    shown, moved = masking.redact_marked(text, marks, "ru")
    assert "916" not in shown and "[PHONE]" in shown
    assert [shown[s:e] for s, e in moved] == ["номер", "карта"]
    assert ui.highlight(shown, moved).count(":orange-background[") == 2
    assert ui.highlight("a [b] *c*", ()) == ui.quote("a [b] *c*")


# ---- the search page ---------------------------------------------------------------------------


@pytest.fixture
def app_db(indexed, monkeypatch, tmp_path) -> Path:
    from streamlit import config as st_config

    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")  # no users: the local admin, as `callqa app` binds
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("CALLQA_DB", str(indexed))
    yield indexed
    st_config.set_option("server.address", before)


def _page(**params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "qa_app" / "app.py"), default_timeout=60).run()
    at.switch_page("views/search.py")
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _ok(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _links(at) -> list[dict]:
    """The query parameters of the page's links to calls."""
    params = [{k: v[0] for k, v in parse_qs(link.proto.query_string).items()} for link in at.get("page_link")]
    return [p for p in params if "call_id" in p]


def test_search_page_finds_filters_and_opens_the_call_at_the_match(app_db):
    expected = _with_forms(app_db, RU_WORDS["договоры"])
    at = _page()
    _ok(at)
    assert at.title[0].value == "Transcript search"
    at.text_input(key="search_q").input("договоры").run()
    _ok(at)
    links = _links(at)
    assert {(link["call_id"], int(link["seg"])) for link in links} == expected
    shown = "\n".join(m.value for m in at.markdown)
    assert shown.count(":orange-background[договора]") == len(expected)
    assert at.query_params["q"] == "договоры"  # the search is a link others can open

    # Who said it: every contract question is the operator's.
    at.selectbox(key="search_role").set_value("customer").run()
    _ok(at)
    assert not _links(at) and any("No utterance matches" in i.value for i in at.info)
    at.selectbox(key="search_role").set_value("operator").run()
    assert len(_links(at)) == len(expected)

    # A result opens the call page at that moment, the utterance marked, with a way back.
    link = _links(at)[0]
    with connect(app_db, read_only=True) as con:
        start, text = con.execute("SELECT start_s, text FROM segments WHERE call_id = ? AND idx = ?",
                                  [link["call_id"], int(link["seg"])]).fetchone()
    assert float(link["t"]) == pytest.approx(start, abs=0.05)
    at.switch_page("views/call.py")
    for k, v in link.items():
        at.query_params[k] = v
    at.run()
    _ok(at)
    assert at.get("audio")[0].proto.start_time == max(int(float(link["t"])) - 1, 0)
    assert any(c.key == "search_match" for c in at.get("flex_container") if c.key)
    marked = [m.value for m in at.markdown if ":orange-badge[search match]" in m.value]
    assert len(marked) == 2 and all(
        ":orange-background[договора]" in m for m in marked
    )  # above the verdicts and in the transcript
    back = [p for p in at.get("page_link") if "search" in p.proto.page]
    assert back and parse_qs(back[0].proto.query_string)["q"] == ["договоры"]


def test_search_page_without_an_index_or_matches(app_db, tmp_path, monkeypatch):
    at = _page(q="квазар")
    _ok(at)
    assert at.text_input(key="search_q").value == "квазар"  # a deep link fills the box
    assert any("No utterance matches" in i.value for i in at.info)

    empty = tmp_path / "empty.duckdb"
    with connect(empty):
        pass
    monkeypatch.setenv("CALLQA_DB", str(empty))
    at = _page()
    _ok(at)
    assert any("has not been built yet" in i.value for i in at.info)
