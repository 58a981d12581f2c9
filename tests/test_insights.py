"""Why customers call and how calls end (issue #7): the taxonomy, reasons and outcomes on written
dialogues (real sentence encoder and lemmatizers), discovery of a reason the taxonomy lacks, storage
and the nightly step on the real sample calls (``flow_db``), retention, and the app's page."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from benchmarks.written_dialogue import dialogue_transcript
from pipeline.insights.taxonomy import DEFAULT_TAXONOMY, TaxonomyError, load_taxonomy, parse_taxonomy
from qa_app.mdtext import md
from tests.conftest import copy_database

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def judge():
    from models.embeddings import load_sentence_encoder
    from pipeline.insights.call_insights import InsightsJudge

    return InsightsJudge(load_taxonomy(), load_sentence_encoder())


# ---- taxonomy ------------------------------------------------------------------------------

GOOD = """
threshold: 0.4
reasons:
  - id: billing
    labels: {ru: Счета, en: Billing}
    description: Charges and invoices.
    examples: {ru: [Большой счёт], en: [My bill is too high]}
"""


def test_the_shipped_taxonomy_covers_the_required_reasons():
    taxonomy = load_taxonomy()
    ids = {r.id for r in taxonomy.reasons}
    assert {"no_connection", "billing", "tariff_change", "account_access", "order_status", "cancellation"} <= ids
    for reason in taxonomy.reasons:
        assert reason.examples["ru"] and reason.examples["en"] and reason.labels["ru"] and reason.description
    assert len(taxonomy.digest) == 12 and parse_taxonomy(GOOD).digest != taxonomy.digest


@pytest.mark.parametrize("change, message", [
    (("examples:", "exmples:"), "unknown key 'exmples' (did you mean 'examples'?)"),
    (("threshold: 0.4", "threshold: 4"), "threshold must be a number between 0 and 1"),
    (("id: billing", "id: Billing Issues"), "id must be lower_snake_case"),
    (("en: Billing}", "de: Billing}"), "labels must give a non-empty 'ru' and 'en' label"),
    (("en: [My bill is too high]", "fr: [Facture]"), "unknown language 'fr'"),
    (("en: [My bill is too high]", "en: []"), "'en' must be a non-empty list of phrases"),
    (("    description: Charges and invoices.\n", ""), "reason 'billing': 'description' is missing"),
    (("reasons:", "reasons: []\nother:"), "unknown key 'other'"),
])
def test_taxonomy_errors_name_the_problem(change, message):
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(GOOD.replace(*change), source="mine.yaml")
    assert message in str(err.value) and str(err.value).startswith("mine.yaml: ")


def test_a_reason_id_used_twice_and_a_missing_file_are_refused(tmp_path):
    twice = GOOD + GOOD.split("reasons:\n")[1]
    with pytest.raises(TaxonomyError, match="id 'billing' is used twice"):
        parse_taxonomy(twice)
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "none.yaml")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        parse_taxonomy("reasons: [")


# ---- reasons and outcomes on written dialogues ----------------------------------------------

DIALOGUES = [  # (language, speakers, turns, reason, outcome); none of these lines is a taxonomy example
    ("ru", "labelled", [
        ("operator", "Добрый день, компания Телеком, Светлана, слушаю вас."),
        ("customer", "Здравствуйте."),
        ("customer", "Второй вечер подряд дома пропадает интернет, ничего не открывается."),
        ("operator", "Продиктуйте номер договора."),
        ("customer", "Пять пять восемь, ноль два один."),
        ("operator", "Я оформила заявку, техник перезвонит вам завтра до обеда."),
        ("customer", "Хорошо, спасибо."),
    ], "no_connection", "follow_up"),
    ("en", "labelled", [
        ("operator", "Thanks for calling, this is Mark, how can I help?"),
        ("customer", "Hi, yes. I was billed twice for the same month, look at my statement."),
        ("operator", "Can I have your account number?"),
        ("customer", "Seven seven one, four two."),
        ("operator", "I see the duplicate. I've refunded the second payment, it's all done."),
        ("customer", "Great, thanks."),
    ], "billing", "resolved"),
    ("ru", "unknown", [  # a mono call whose roles stayed unknown
        ("unknown", "Здравствуйте, магазин Домашний, меня зовут Олег, чем могу помочь?"),
        ("unknown", "Я жду посылку с кофеваркой уже десять дней, а её всё нет."),
        ("unknown", "Назовите номер заказа, пожалуйста."),
        ("unknown", "Девять ноль ноль один."),
        ("unknown", "Этим занимается служба доставки, соединяю вас с ними, не кладите трубку."),
        ("unknown", "Хорошо."),
    ], "order_status", "transferred"),
    ("en", "labelled", [
        ("operator", "Good afternoon, support, Julia speaking."),
        ("customer", "I'd like to stop my subscription, I'm not using it at all."),
        ("operator", "I'm afraid I can't help with that over the phone, there's nothing I can do."),
        ("customer", "That's useless. Bye."),
    ], "cancellation", "unresolved"),
]


@pytest.mark.parametrize("language, speakers, turns, reason, outcome", DIALOGUES,
                         ids=[f"{d[0]}_{d[3]}_{d[4]}" for d in DIALOGUES])
def test_reason_and_outcome_of_written_dialogues(judge, language, speakers, turns, reason, outcome):
    transcript = dialogue_transcript(language, turns, speakers)
    got = judge.judge(transcript)
    assert got.reason_id == reason, (got.statement, got.reason_score)
    assert got.outcome.outcome == outcome, (got.outcome.evidence, got.outcome.scores)
    # The statement is the customer's problem, not a greeting or a dictated number, with its time.
    first_problem = next(t for s, t in turns[1:] if len(t.split()) > 4 and "?" not in t)
    assert got.statement is not None and got.statement.text.rstrip(".") in first_problem
    segment = next(s for s in transcript.segments if s.text == first_problem)
    assert segment.start <= got.statement.start < got.statement.end <= segment.end
    assert got.embedding is not None and got.embedding.shape == (512,)
    assert got.outcome.evidence is not None and got.outcome.evidence.text in " ".join(t for _, t in turns)
    assert 0 < got.outcome.confidence <= 1 and got.outcome.method.startswith("closing_cues")


PARAPHRASED_CLOSINGS = [  # (language, speaker, closing line, outcome): no outcome cue word in any of them
    ("ru", "operator", "Наш сотрудник выяснит и напишет вам в четверг.", "follow_up"),
    ("ru", "operator", "Одну секунду, вам сейчас ответит специалист по оплатам.", "transferred"),
    ("en", "customer", "So somebody will phone me later about it?", "follow_up"),  # the customer says it
]


@pytest.mark.parametrize("language, speaker, line, outcome", PARAPHRASED_CLOSINGS,
                         ids=[f"{c[0]}_{c[1]}_{c[3]}" for c in PARAPHRASED_CLOSINGS])
def test_a_closing_without_cue_words_gets_its_outcome_by_similarity_with_evidence(judge, language, speaker, line,
                                                                                 outcome):
    from pipeline.insights.outcomes import OutcomeJudge

    problem = "У меня с утра нет интернета." if language == "ru" else "My internet has been down since the morning."
    turns = [("operator", "Hello, support." if language == "en" else "Здравствуйте, поддержка."),
             ("customer", problem), (speaker, line), ("operator", "Bye." if language == "en" else "До свидания.")]
    transcript = dialogue_transcript(language, turns)
    cues_only = OutcomeJudge(None).judge(transcript)
    assert (cues_only.outcome, cues_only.method) == ("resolved", "closing_cues:default")  # no cue: the default
    got = judge.outcomes.judge(transcript)
    assert (got.outcome, got.method) == (outcome, "closing_cues:semantic"), got.scores
    assert got.evidence is not None and got.evidence.text in line and got.evidence.speaker == speaker
    segment = transcript.segments[2]
    assert (got.evidence.start, got.evidence.end) == (segment.start, segment.end) and got.confidence > 0.5


def test_thanks_and_goodbye_alone_say_nothing_so_the_call_counts_as_resolved_at_low_confidence(judge):
    transcript = dialogue_transcript("en", [
        ("operator", "Hello, support."), ("customer", "Hi, a question about my bill."),
        ("operator", "Thanks for calling, have a nice evening."), ("customer", "Bye.")])
    got = judge.outcomes.judge(transcript)
    assert (got.outcome, got.confidence, got.method, got.evidence) == ("resolved", 0.3, "closing_cues:default", None)


def test_a_problem_outside_the_taxonomy_gets_no_reason_but_keeps_its_statement(judge):
    transcript = dialogue_transcript("en", [
        ("operator", "Hello, City Energy, how can I help?"),
        ("customer", "My neighbour's tree fell on the fence between our gardens during the storm."),
        ("operator", "That's a matter for your insurer, I'm afraid, nothing I can do."),
    ])
    got = judge.judge(transcript)
    assert got.reason_id is None and got.reason_method.endswith("below_threshold")
    assert got.statement is not None and "tree" in got.statement.text and got.embedding is not None
    assert got.outcome.outcome == "unresolved"


def test_discovery_finds_a_planted_cluster(judge):
    from pipeline.insights.reason_discovery import Statement, discover_reasons

    planted = ["Мы переезжаем, можно перенести интернет на новый адрес?",
               "We are moving house next week, can the service move to the new address?",
               "Хочу перенести договор на новую квартиру, куда переезжаю.",
               "I've bought a flat and need my connection moved to the new address."]
    others = ["Как мне получить справку для налоговой?", "Your technician broke my door handle.",
              "Подскажите часы работы вашего офиса.", "I'd like to praise the engineer who came yesterday.",
              "Можно ли оплатить наличными курьеру?", "Do you sell gift certificates?"]
    texts = planted + others
    vectors = judge.reasons.encoder.encode(texts)
    statements = [Statement(f"call{i}", t, "ru" if any("а" <= ch <= "я" for ch in t.lower()) else "en", v)
                  for i, (t, v) in enumerate(zip(texts, vectors))]
    found = discover_reasons(statements, min_size=3)
    assert len(found) == 1, [(d.representative.text, d.members) for d in found]
    group = found[0]
    assert set(group.members) == {f"call{i}" for i in range(len(planted))}
    assert group.representative.text in planted and group.size == 4
    assert {"адрес", "address", "new", "новый", "переезжать", "перенести", "move"} & set(group.words), group.words
    assert discover_reasons(statements[:2], min_size=3) == []


# ---- storage, the nightly step, retention ----------------------------------------------------

def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture
def db_copy(flow_db, tmp_path) -> Path:
    target = tmp_path / "callqa.duckdb"
    copy_database(flow_db["db"], target)
    return target


def test_the_nightly_run_gives_the_sample_calls_their_expected_reason_and_outcome(flow_db):
    stored = {name: (reason, outcome, statement, start, evidence, version) for name, reason, outcome, statement, start,
              evidence, version in _rows(flow_db["db"],
              "SELECT c.file_name, i.reason_id, i.outcome, i.problem_statement, i.problem_start,"
              " i.outcome_evidence_text, i.insights_version FROM call_insights i JOIN calls c USING (call_id)")}
    truths = sorted((REPO / "samples" / "calls").glob("*.truth.json"))
    assert len(stored) == len(truths) == 5
    for path in truths:
        truth = json.loads(path.read_text(encoding="utf-8"))
        reason, outcome, statement, start, evidence, version = stored[truth["file"]]
        assert (reason, outcome) == (truth["expected_reason"], truth["expected_outcome"]), (truth["file"], statement)
        customer = [t for t in truth["turns"] if t["speaker"] == "customer"]
        assert statement and evidence and start is not None
        assert customer[0]["start"] - 1.0 <= start <= customer[0]["end"], (truth["file"], statement, start)
        assert version.startswith(load_taxonomy().digest)


def test_insights_are_stored_once_and_recomputed_when_stale(db_copy, tmp_path):
    from usecases.insights import compute_insights

    assert compute_insights(db_copy).calls == 0, "the nightly run left every call judged"
    before = _rows(db_copy, "SELECT call_id, reason_id, outcome, computed_at FROM call_insights ORDER BY call_id")
    edited = tmp_path / "reasons.yaml"
    edited.write_text(DEFAULT_TAXONOMY.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    first = before[0][0]
    con = duckdb.connect(str(db_copy))
    con.execute("UPDATE calls SET transcript_deleted_at = now() WHERE call_id = ?", [first])
    con.close()
    summary = compute_insights(db_copy, edited)
    assert summary.calls == 4 and summary.version.startswith(load_taxonomy(edited).digest)
    after = _rows(db_copy, "SELECT call_id, reason_id, outcome, computed_at, insights_version FROM call_insights"
                  " ORDER BY call_id")
    assert [r[:3] for r in after] == [r[:3] for r in before], "same reasons and outcomes under an edited comment"
    assert after[0][3] == before[0][3] and not after[0][4].startswith(load_taxonomy(edited).digest), \
        "a call without its transcript keeps its row"
    assert all(a[3] > b[3] for a, b in zip(after[1:], before[1:]))
    # Reprocessed after it was judged: stale again.
    con = duckdb.connect(str(db_copy))
    con.execute("UPDATE calls SET processed_at = now() + INTERVAL 1 MINUTE WHERE call_id = ?", [after[1][0]])
    con.close()
    assert compute_insights(db_copy, edited).calls == 1


def test_deleting_transcripts_deletes_the_quotes_and_erasure_the_rows(db_copy):
    from storage.db import connect
    from storage.retention import delete_transcripts, per_call_tables, purge_calls

    ids = [r[0] for r in _rows(db_copy, "SELECT call_id FROM call_insights ORDER BY call_id")]
    with connect(db_copy) as con:
        counts = delete_transcripts(con, ids[:2])
        assert "call_insights" in per_call_tables(con)
    assert counts["call_insights.problem_statement"] == 2 and counts["call_insights.outcome_evidence_text"] == 2
    rows = _rows(db_copy, "SELECT call_id, problem_statement, problem_embedding, outcome_evidence_text, reason_id,"
                 " outcome FROM call_insights ORDER BY call_id")
    for call_id, statement, embedding, evidence, reason, outcome in rows:
        gone = call_id in ids[:2]
        assert (statement is None, embedding is None, evidence is None) == (gone, gone, gone)
        assert reason is not None and outcome
    with connect(db_copy) as con:
        purge_calls(con, ids[:1], "erasure")
    assert _rows(db_copy, "SELECT count(*) FROM call_insights WHERE call_id = ?", [ids[0]]) == [(0,)]


# ---- the app ---------------------------------------------------------------------------------

def test_reasons_page_and_call_page_show_reasons_outcomes_and_discovered_groups(db_copy, monkeypatch, tmp_path):
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest

    from models.embeddings import load_sentence_encoder

    # Three calls' statements about moving house, matched to no taxonomy reason: a group to discover.
    moving = ["We are moving and need the internet at the new address.",
              "Мы переезжаем, перенесите интернет на новый адрес.",
              "Can you move my broadband to my new address next week?"]
    vectors = load_sentence_encoder().encode(moving)
    ids = [r[0] for r in _rows(db_copy, "SELECT call_id FROM call_insights ORDER BY call_id")][:3]
    con = duckdb.connect(str(db_copy))
    for call_id, text, vector in zip(ids, moving, vectors):
        con.execute("UPDATE call_insights SET reason_id = NULL, problem_statement = ?, problem_start = 1.5,"
                    " problem_embedding = ?::FLOAT[512] WHERE call_id = ?", [text, [float(x) for x in vector], call_id])
    con.close()

    monkeypatch.setenv("CALLQA_DB", str(db_copy))
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    try:
        at = AppTest.from_file(str(REPO / "qa_app" / "app.py"), default_timeout=60).run()
        at.switch_page("views/reasons.py")
        at.run()  # the default period (the data's last 30 days) holds the sample calls
        assert not at.exception and not at.error, [e.message for e in at.exception]
        assert [t.value for t in at.title] == ["Call reasons"]
        table = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
        labels = {r.label("en") for r in load_taxonomy().reasons}
        assert int(table["Calls"].sum()) == 5 and "no taxonomy reason" in set(table["Reason"])
        assert set(table["Reason"]) - {"no taxonomy reason"} <= labels
        assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), "a chart, not only a table"
        text = "\n".join(m.value for m in at.markdown)
        assert "**3 calls**" in text, text
        links = at.get("page_link")
        assert len(links) == 3, "each discovered call opens the call page"
        assert {p.proto.query_string for p in links} == {f"call_id={i}&t=1.5" for i in ids}, links

        call = AppTest.from_file(str(REPO / "qa_app" / "app.py"), default_timeout=60).run()
        stored = _rows(db_copy, "SELECT call_id, reason_id, outcome FROM call_insights WHERE reason_id IS NOT NULL"
                       " ORDER BY call_id LIMIT 1")[0]
        call.switch_page("views/call.py")
        call.query_params["call_id"] = stored[0]
        call.run()
        assert not call.exception
        text = "\n".join(m.value for m in call.markdown)
        assert "**Reason:**" in text and md(load_taxonomy().label(stored[1])) in text
        assert "**Outcome:**" in text and stored[2].replace("_", " ").capitalize() in text
    finally:
        st_config.set_option("server.address", before)
