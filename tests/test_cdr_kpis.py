"""The PBX's KPIs: service level, abandonment, speed of answer and handle time against hand-computed figures,
their intervals against scipy, two generated vendors whose difference is known (found) and two alike (nothing
claimed), figures per period, the Sites & vendors page in English and Russian, and the weekly report's section
and sheet; both say so when the period has no records."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from scipy import stats
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from pipeline.intake.cdr import CdrMapping, read_cdr_file
from pipeline.stats.cdr_kpis import CdrValue, KpiRules, compare_kpis, kpi_row, kpis_by_period
from reporting.model import ReportPeriod, ReportScope
from storage.cdr import cdr_values, compare_cdr, import_cdr
from storage.db import connect
from usecases.reports import write_reports
from usecases.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "qa_app" / "app.py"


def _dataset(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "datasets" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cdr_set = _dataset("make_cdr_set")

# Six records of one queue, worked by hand (default rules: 20 s, abandons under 5 s left out, abandoned calls
# count against the service level):
HAND = [
    CdrValue("q", "answered", 10.0, 100.0),  # in time
    CdrValue("q", "answered", 20.0, 200.0),  # in time: the threshold is inclusive
    CdrValue("q", "answered", 30.0, 300.0),  # late
    CdrValue("q", "abandoned", 60.0, None),  # abandoned: offered, not in time
    CdrValue("q", "abandoned", 3.0, None),  # a short abandon: in no figure
    CdrValue("q", "failed", 0.0, None),  # busy: in no figure
]


def test_kpis_against_hand_computed_figures():
    row = kpi_row("q", HAND, KpiRules())
    assert (row.records, row.offered, row.answered, row.abandoned, row.short_abandons, row.failed) == (6, 4, 3, 1, 1, 1)
    assert row.service_level.estimate == pytest.approx(2 / 4)
    assert row.abandonment.estimate == pytest.approx(1 / 4)
    assert row.speed_of_answer.estimate == pytest.approx((10 + 20 + 30) / 3)
    assert row.handle_time.estimate == pytest.approx((100 + 200 + 300) / 3)
    excluded = kpi_row("q", HAND, KpiRules(abandoned="excluded"))
    assert excluded.service_level.estimate == pytest.approx(2 / 3)  # abandoned callers ignored: reads higher
    every = kpi_row("q", HAND, KpiRules(short_abandon_s=0))
    assert (every.offered, every.short_abandons) == (5, 0)
    assert every.service_level.estimate == pytest.approx(2 / 5) and every.abandonment.estimate == pytest.approx(2 / 5)
    strict = kpi_row("q", HAND, KpiRules(service_level_s=15))
    assert strict.service_level.estimate == pytest.approx(1 / 4)
    assert kpi_row("q", [CdrValue("q", "failed", 0.0, None)], KpiRules()).service_level is None  # no zeros made up


def test_intervals_are_wilson_for_shares_and_t_for_means():
    row = kpi_row("q", HAND, KpiRules())
    wilson = stats.binomtest(2, 4).proportion_ci(confidence_level=0.95, method="wilson")
    assert (row.service_level.low, row.service_level.high) == pytest.approx((wilson.low, wilson.high))
    waits = [10.0, 20.0, 30.0]
    low, high = stats.t.interval(0.95, 2, loc=20.0, scale=stats.sem(waits))
    assert (row.speed_of_answer.low, row.speed_of_answer.high) == pytest.approx((max(low, 0.0), high))


def _values(records, rules_short: float = 5.0) -> list[CdrValue]:
    return [CdrValue(r.vendor, "answered" if r.answered else "abandoned",
                     ((r.answered or r.ended) - r.entered).total_seconds(),
                     None if r.answered is None else (r.ended - r.answered).total_seconds(), r.entered)
            for r in records]


def test_two_vendors_with_a_known_difference_through_the_real_import(tmp_path):
    records = cdr_set.generate(records=3000, share_b=0.4, seed=1)
    path = tmp_path / "export.csv"
    cdr_set.write(path, records, "csv")
    parsed = read_cdr_file(path, "csv", CdrMapping.from_toml(cdr_set.CSV_MAPPING))
    assert not parsed.errors and len(parsed.records) == 3000
    with connect(tmp_path / "q.duckdb") as con:
        import_cdr(con, parsed, path.name)
        kpis = compare_cdr(con, "vendor")
    c = kpis.comparison
    assert c.groups == ("ContactPro", "CallNorth") and kpis.data.attribution["file"] == 3000
    for vendor in cdr_set.VENDORS:
        truth = vendor.truth()
        for metric in ("service_level", "abandonment", "talk_time"):
            e = c.estimate(metric, vendor.name)
            assert e.low <= truth[metric] <= e.high, (vendor.name, metric, e, truth[metric])
    claimed = {d.metric_id: d for d in c.claims}
    assert set(claimed) == {"service_level", "abandonment", "speed_of_answer", "talk_time"}
    sl = claimed["service_level"]
    assert sl.group == "CallNorth" and sl.test == "Fisher exact"
    truth_gap = cdr_set.CALL_NORTH.truth()["service_level"] - cdr_set.CONTACT_PRO.truth()["service_level"]
    assert sl.low <= truth_gap <= sl.high
    sentence = next(v for v in c.verdicts if v.metric.id == "service_level").sentences[0]
    assert sentence.startswith("CallNorth is worse than ContactPro on Service level (20 s)"), sentence


def test_two_vendors_alike_claim_nothing():
    alike = (cdr_set.CONTACT_PRO, cdr_set.VendorProfile("Twin", ("op.twin",), 0.05, 120.0, 0.85, (120.0, 360.0)))
    c = compare_kpis(_values(cdr_set.generate(records=2000, share_b=0.5, seed=3, vendors=alike)), KpiRules())
    assert c.tests == 4 and not c.claims, [v.sentences for v in c.verdicts]


def test_figures_per_week_add_up():
    values = _values(cdr_set.generate(records=500, seed=2))
    weeks = kpis_by_period(values, KpiRules(), "week")
    assert [w.group for w in weeks] == sorted(w.group for w in weeks)
    assert all(date.fromisoformat(w.group).weekday() == 0 for w in weeks)  # Mondays
    assert sum(w.records for w in weeks) == 500
    assert sum(w.offered for w in weeks) == kpi_row("all", values, KpiRules()).offered


# ---- the page and the report, on judged calls and their PBX records --------------------------------

@pytest.fixture(scope="module")
def cdr_db(tmp_path_factory):
    """12 generated calls judged and stored by the product (vendor set, seed 0), and 1,200 PBX records of the
    same two vendors imported from an outsourcer's export."""
    from pipeline.analyze import build_judge
    from pipeline.judging.scorecard import load_scorecard

    vs = _dataset("make_vendor_set")
    work = tmp_path_factory.mktemp("cdr_set")
    db = work / "q.duckdb"
    vs.store(db, vs.generate(calls=12, share_b=0.5, seed=0), build_judge(load_scorecard(vs.SCORECARD)))
    export = work / "export.csv"
    cdr_set.write(export, cdr_set.generate(records=1200, share_b=0.5, seed=4), "csv")
    with connect(db) as con:
        import_cdr(con, read_cdr_file(export, "csv", CdrMapping.from_toml(cdr_set.CSV_MAPPING)), export.name)
    return db


@pytest.fixture
def page(monkeypatch, tmp_path):
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")  # a single local admin, as `callqa app` binds
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))

    def run(db: Path, language: str, period: tuple[date, date] | None = None) -> AppTest:
        monkeypatch.setenv("CALLQA_DB", str(db))
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state["callqa_language"] = language
        if period:
            at.session_state["compare_period"] = period
        at.run()
        at.switch_page("views/comparison.py")
        return _ok(at.run())

    yield run
    st_config.set_option("server.address", before)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _cdr_table(at: AppTest, service_level: str):
    """The PBX's figures: the table whose metrics include the service level (the QA table has none)."""
    return next((d.value for d in at.dataframe if service_level in set(d.value.iloc[:, 0])), None)


@pytest.mark.parametrize("language,heading,sl,differs,no_records", [
    ("en", "Service level, abandoned calls and handle time (from the PBX)", "Service level (20 s)", "differs",
     "No call detail records in this period"),
    ("ru", "Уровень обслуживания, потерянные звонки и время обработки (по данным АТС)",
     "Уровень обслуживания (20 с)", "различается", "За этот период нет записей о звонках из АТС"),
])
def test_page_shows_the_pbx_figures_beside_qa_in_both_languages(cdr_db, page, language, heading, sl, differs,
                                                                 no_records):
    at = page(cdr_db, language)
    assert heading in [h.value for h in at.subheader]
    assert len(at.dataframe) == 3  # the QA figures, the PBX's figures, their counts
    table = _cdr_table(at, sl)
    row = table.set_index(table.columns[0]).loc[sl]
    assert row.iloc[-1] == differs, row  # the verdict column
    assert "(" in row["CallNorth"] and "%" in row["CallNorth"]
    text = "\n".join(m.value for m in at.markdown)
    assert "CallNorth" in text and "ContactPro" in text
    # a period without records says so rather than showing zeros
    at = page(cdr_db, language, (date(2026, 10, 1), date(2026, 10, 2)))
    assert _cdr_table(at, sl) is None and heading in [h.value for h in at.subheader]
    assert any(no_records in i.value for i in at.info), [i.value for i in at.info]


def test_weekly_report_has_the_section_and_the_sheet_and_says_when_there_are_no_records(cdr_db, tmp_path):
    settings = load_settings(db=cdr_db, reports_dir=tmp_path / "reports")
    week = ReportPeriod.containing("week", date(2026, 11, 2))
    (written,) = write_reports(settings, week, [ReportScope("all")])
    html = written.html.read_text(encoding="utf-8")
    assert "Service level, abandoned calls and handle time (from the PBX)" in html
    assert "CallNorth" in html.split('id="contact-centre"')[1] and "Service level (20 s)" in html
    sheet = load_workbook(written.xlsx)["Service level"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]}
    with connect(cdr_db, read_only=True) as con:
        week_values = [v for v in cdr_values(con, "vendor", datetime(2026, 11, 2), datetime(2026, 11, 9)).values]
    by_vendor = {g: kpi_row(g, [v for v in week_values if v.group == g], KpiRules()) for g in ("CallNorth",
                                                                                                 "ContactPro")}
    for vendor, expected in by_vendor.items():
        assert rows[vendor]["Offered"] == expected.offered
        assert rows[vendor]["Service level (20 s)"] == pytest.approx(expected.service_level.estimate)
    assert rows["Total"]["Offered"] == sum(r.offered for r in by_vendor.values())

    russian = load_settings(db=cdr_db, reports_dir=tmp_path / "ru", ui_language="ru")
    empty_week = ReportPeriod.containing("week", date(2026, 12, 7))
    (empty,) = write_reports(russian, empty_week, [ReportScope("all")])
    none_ru = "За этот период нет записей о звонках из АТС"
    assert none_ru in empty.html.read_text(encoding="utf-8")
    assert none_ru in load_workbook(empty.xlsx)["Уровень обслуживания"]["A1"].value


def test_a_teams_report_shows_its_queues(cdr_db, tmp_path):
    settings = load_settings(db=cdr_db, reports_dir=tmp_path / "reports")
    week = ReportPeriod.containing("week", date(2026, 11, 2))
    with connect(cdr_db, read_only=True) as con:
        team = con.execute("SELECT team FROM calls WHERE operator_id LIKE 'op.callnorth%' LIMIT 1").fetchone()[0]
    (written,) = write_reports(settings, week, [ReportScope("team", team)])
    section = written.html.read_text(encoding="utf-8").split('id="contact-centre"')[1]
    assert "Queue" in section and "support-" in section
    assert week.end - week.start == timedelta(days=7)


def test_means_of_thousands_are_tested_with_welch_and_fewer_by_permutation():
    from pipeline.stats.group_comparison import Metric, Sample, compare_groups

    wait = Metric("speed_of_answer", "Average speed of answer", "mean", "seconds", "lower")
    samples = [Sample(wait, "A", tuple(float(i % 40) for i in range(60))),
               Sample(wait, "B", tuple(float(i % 50) for i in range(60)))]
    assert compare_groups(samples, ["A", "B"]).differences[0].test == "permutation"
    assert compare_groups(samples, ["A", "B"], welch_from_n=60).differences[0].test == "Welch t"
    assert compare_groups(samples, ["A", "B"], welch_from_n=61).differences[0].test == "permutation"
