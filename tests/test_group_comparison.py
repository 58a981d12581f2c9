"""Sites, vendors and teams side by side: the statistics against known values, a generated
two-vendor set where one vendor is truly worse on one criterion (judged by the product and
stored through the flows' storage functions), the sample calls of a real nightly run (two
vendors, a handful of calls: nothing may be claimed), the CLI and the app page."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import sys
from pathlib import Path

import pytest
from scipy import stats
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from callqa.cli import main
from pipeline.stats.group_comparison import (
    REST,
    Metric,
    Sample,
    adjust_p,
    compare_groups,
    permutation_test,
    proportion_test,
    t_interval,
    welch_test,
    wilson_interval,
)
from storage.calls import add_review
from storage.comparison import call_values, compare
from storage.db import connect

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "qa_app" / "app.py"
PASS_RATE = Metric("pass:x", "X pass rate", "proportion", "share", "higher")
SCORE = Metric("qa_score", "QA score", "mean", "score", "higher")


def _vendor_set_module():
    spec = importlib.util.spec_from_file_location("make_vendor_set",
                                                  REPO / "benchmarks" / "datasets" / "make_vendor_set.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ---- statistics against known values ---------------------------------------------------------

@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (56, 70), (80, 80), (1, 400)])
def test_wilson_interval_matches_scipy(k, n):
    ours = wilson_interval(k, n)
    theirs = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert ours.estimate == pytest.approx(k / n)
    assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high), abs=1e-9)


def test_t_interval_matches_scipy():
    values = [81.7, 100.0, 91.7, 0.0, 75.0, 88.3, 100.0, 66.7]
    ours = t_interval(values)
    mean, sem = sum(values) / len(values), stats.sem(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=sem)
    assert (ours.estimate, ours.low, ours.high) == pytest.approx((mean, low, high))
    assert math.isinf(t_interval([5.0]).high)  # one value says nothing about spread


def test_welch_test_matches_scipy():
    a, b = [1, 2, 3, 4, 5.5], [2, 4, 6, 8, 10, 12]
    ours = welch_test(a, b)
    theirs = stats.ttest_ind(a, b, equal_var=False)
    ci = theirs.confidence_interval(0.95)
    assert ours.p_value == pytest.approx(theirs.pvalue)
    assert (ours.difference.low, ours.difference.high) == pytest.approx((ci.low, ci.high))


def test_proportion_test_fisher_and_newcombe_interval():
    # Newcombe (1998), Stat Med 17:873, example 56/70 vs 48/80: hybrid score interval 0.0524 to 0.3339.
    r = proportion_test(56, 70, 48, 80)
    assert (r.difference.low, r.difference.high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert r.name == "Fisher exact" and r.p_value == pytest.approx(stats.fisher_exact([[56, 14], [48, 32]]).pvalue)
    # 9/10 vs 3/10: the hypergeometric tables (12 passes in 20) no likelier than the observed one sum to 0.019767.
    assert proportion_test(9, 10, 3, 10).p_value == pytest.approx(0.019767, abs=1e-6)
    assert proportion_test(10, 10, 20, 20).p_value == 1.0  # everyone passed in both groups


def test_permutation_test_exact_small_case_and_welch_interval():
    # 1,2,3 vs 4,5,6: of the 20 ways to split six values in three and three, only this one and its
    # mirror are as extreme, so the two-sided p is 2/20 (all splits enumerated).
    r = permutation_test([1, 2, 3], [4, 5, 6])
    assert r.p_value == pytest.approx(0.1)
    assert r.difference == welch_test([1, 2, 3], [4, 5, 6]).difference
    assert permutation_test([3.0] * 25, [3.0] * 30).p_value == 1.0


def test_holm_and_benjamini_hochberg():
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_p(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])  # worked by hand
    assert adjust_p(p, "bh") == pytest.approx(list(stats.false_discovery_control(p)))


def test_nothing_is_claimed_below_the_minimum_n_however_large_the_gap():
    samples = [Sample(PASS_RATE, "A", (1.0,) * 15), Sample(PASS_RATE, "B", (0.0,) * 15)]
    c = compare_groups(samples, ["A", "B"], [15, 15], min_n=20)
    (d,) = c.differences
    assert d.test is None and not d.claimed and c.tests == 0
    assert "n too small" in c.verdicts[0].sentences[0]
    assert compare_groups(samples, ["A", "B"], min_n=10).differences[0].claimed  # the same gap with enough calls


def test_a_single_value_has_an_estimate_but_no_interval():
    samples = [Sample(SCORE, "A", (80.0,)), Sample(SCORE, "B", tuple(float(v) for v in range(60, 90)))]
    c = compare_groups(samples, ["B", "A"], min_n=1)
    one = c.estimate("qa_score", "A")
    assert (one.n, one.estimate, one.low, one.high) == (1, 80.0, None, None)
    assert c.tests == 0 and not c.claims  # a mean needs two values per group to be tested
    assert "No difference was tested" in c.rule
    few = compare_groups([Sample(SCORE, "A", (0.0, 100.0, 50.0))], ["A"]).estimate("qa_score", "A")
    assert (few.low, few.high) == (0.0, 100.0)  # the t interval (-74..174) clipped to where a score can lie


def test_more_than_two_groups_each_against_the_rest():
    worse = tuple(float(i % 2) for i in range(100))  # 50%
    good = tuple(float(i % 10 != 0) for i in range(100))  # 90%
    samples = [Sample(PASS_RATE, g, v) for g, v in (("A", good), ("B", good), ("C", worse))]
    c = compare_groups(samples, ["A", "B", "C"])
    assert {d.reference for d in c.differences} == {REST} and c.tests == 3
    c_row = next(d for d in c.differences if d.group == "C")
    assert c_row.claimed and c_row.difference == pytest.approx(0.5 - 0.9)
    assert any("C is worse than the other groups on X pass rate" in s for s in c.verdicts[0].sentences)


# ---- a generated two-vendor set, judged and stored by the product ---------------------------

@pytest.fixture(scope="module")
def vendor_db(tmp_path_factory):
    """240 generated calls, half each vendor (seed 0): CallNorth skips 'anything else?' in 35% of
    calls, ContactPro in 10%; all else alike. Judged by the product, stored by storage.calls."""
    from pipeline.analyze import build_judge
    from pipeline.judging.scorecard import load_scorecard

    vs = _vendor_set_module()
    db = tmp_path_factory.mktemp("vendor_set") / "vendor_set.duckdb"
    calls = vs.generate(calls=240, share_b=0.5, seed=0)
    vs.store(db, calls, build_judge(load_scorecard(vs.SCORECARD)))
    return db


def test_the_worse_criterion_is_found_and_nothing_else_is_claimed(vendor_db):
    with connect(vendor_db, read_only=True) as con:
        vendors = dict(con.execute("SELECT vendor, count(*) FROM calls GROUP BY vendor").fetchall())
        sites = dict(con.execute("SELECT vendor, any_value(site) FROM calls GROUP BY vendor").fetchall())
        result = compare(con, "vendor")
    assert vendors == {"ContactPro": 120, "CallNorth": 120} and sites == {"ContactPro": "Tver", "CallNorth": "Kazan"}
    claimed = {d.metric_id: d for d in result.claims}
    assert "pass:extra_help" in claimed, [v.sentences for v in result.verdicts]
    d = claimed["pass:extra_help"]
    north_minus_pro = d.difference if d.group == "CallNorth" else -d.difference
    assert north_minus_pro < 0 and d.low <= -0.25 * (1 if d.group == "CallNorth" else -1) <= d.high
    # The QA score contains that criterion, so it may truly differ too; nothing else may be claimed.
    assert set(claimed) <= {"pass:extra_help", "qa_score"}, [v.sentences for v in result.verdicts if v.claimed]
    sentence = next(v for v in result.verdicts if v.metric.id == "pass:extra_help").sentences[0]
    assert sentence.startswith(("CallNorth is worse than ContactPro on Extra help pass rate",
                                "ContactPro is better than CallNorth on Extra help pass rate")), sentence
    assert {m.id for m in result.metrics} >= {"qa_score", "escalation", "handle_time", "silence_share",
                                             "dead_air_share", "pass:greeting", "pass:no_forbidden_phrases"}
    assert any("Predicted satisfaction is left out" in n for n in result.notes)  # nothing fills it here


def test_a_reviewer_override_changes_the_counted_verdict(vendor_db, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(vendor_db, db)
    with connect(db) as con:
        before = call_values(con, "vendor")
        failed = next(c for c in before.calls if dict(c.verdicts).get("extra_help") == "fail")
        add_review(con, failed.call_id, "rita", "override", "extra_help", "pass")
        after = call_values(con, "vendor")
        passes = {d: sum(dict(c.verdicts).get("extra_help") == "pass" for c in v.calls if c.group == failed.group)
                  for d, v in (("before", before), ("after", after))}
    assert passes["after"] == passes["before"] + 1


def test_predicted_satisfaction_is_compared_once_computed(vendor_db, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(vendor_db, db)
    with connect(db) as con:
        con.execute("INSERT INTO call_satisfaction SELECT call_id, 'test', CASE WHEN vendor = 'CallNorth' THEN 3 "
                    "ELSE 4 END + (hash(call_id) % 3) * 0.1, '{}', now() FROM calls")
        result = compare(con, "vendor")
    satisfaction = next(d for d in result.differences if d.metric_id == "satisfaction")
    north_minus_pro = satisfaction.difference * (1 if satisfaction.group == "CallNorth" else -1)
    assert satisfaction.n_group == 120 and satisfaction.claimed and north_minus_pro == pytest.approx(-1, abs=0.1)
    assert satisfaction.p_value < 1e-6  # far beyond the permutation floor: Welch's p stands in
    assert not any("satisfaction" in n for n in result.notes)


def test_cli_compare_prints_the_table_and_the_verdicts(vendor_db, capsys, tmp_path):
    assert main(["compare", "--by", "vendor", "--db", str(vendor_db)]) == 0
    out = capsys.readouterr().out
    assert "calls by vendor, the first call to the last: CallNorth 120, ContactPro 120" in out
    claims = [line for line in out.splitlines() if line.startswith("! ")]
    assert len(claims) >= 1 and any("Extra help pass rate" in line for line in claims), out
    assert "Extra help pass rate" in out and "n=120" in out
    assert main(["compare", "--by", "site", "--db", str(vendor_db), "--since", "2026-11-02", "--until", "2026-11-10",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {g["group"] for g in report["groups"]} == {"Tver", "Kazan"}
    assert sum(g["calls"] for g in report["groups"]) < 240  # only the period's calls
    assert main(["compare", "--db", str(tmp_path / "missing.duckdb")]) == 2


# ---- the sample calls of a real nightly run ---------------------------------------------------

def test_sample_calls_two_vendors_too_few_calls_to_claim_anything(flow_db):
    expected = {p.name.removesuffix(".meta.json") + ".flac": json.loads(p.read_text(encoding="utf-8"))
                for p in (REPO / "samples" / "calls").glob("*.meta.json")}
    with connect(flow_db["db"], read_only=True) as con:
        stored = {name: (site, vendor) for name, site, vendor in con.execute(
            "SELECT file_name, site, vendor FROM calls WHERE status = 'processed'").fetchall()}
        result = compare(con, "vendor")
        by_team = compare(con, "team")
    assert stored == {name: (m["site"], m["vendor"]) for name, m in expected.items()}  # metadata carried through
    assert dict(zip(result.groups, result.calls)) == {"ContactPro": 3, "CallNorth": 2}
    assert not result.claims and not by_team.claims and result.tests == 0
    for verdict in result.verdicts:
        assert not verdict.claimed and "n too small" in verdict.sentences[0], verdict.sentences
    score = result.estimate("qa_score", "ContactPro")
    assert score.n == 3 and score.low < score.estimate < score.high


# ---- the app page -----------------------------------------------------------------------------

@pytest.fixture
def app_for(monkeypatch, tmp_path):
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")  # a single local admin, as `callqa app` binds
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))

    def run(db: Path) -> AppTest:
        monkeypatch.setenv("CALLQA_DB", str(db))
        at = AppTest.from_file(str(APP), default_timeout=60).run()
        at.switch_page("views/comparison.py")
        return at.run()

    yield run
    st_config.set_option("server.address", before)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_app_page_shows_the_difference_with_intervals(vendor_db, app_for):
    at = app_for(vendor_db)
    _ok(at)
    assert at.title[0].value == "Sites & vendors"
    table = next(d.value for d in at.dataframe if "Verdict" in d.value.columns)
    row = table.set_index("Metric").loc["Anything else pass rate"]
    assert row["Verdict"] == "differs" and row["n CallNorth"] == 120 and "(" in row["CallNorth"]
    assert set(table.loc[table["Verdict"] == "differs", "Metric"]) <= {"Anything else pass rate", "QA score"}
    assert at.selectbox(key="compare_metric").value == "pass:extra_help"  # the claimed metric is charted first
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts, "the chart with error bars is missing"
    text = "\n".join(m.value for m in at.markdown)
    assert "than CallNorth on Anything else pass rate" in text or "than ContactPro on Anything else pass rate" in text
    at.selectbox(key="compare_metric").set_value("handle_time").run()
    _ok(at)
    at.segmented_control(key="compare_by").set_value("team").run()
    _ok(at)
    assert set(next(d.value for d in at.dataframe if "Verdict" in d.value.columns).columns) >= {
        "support-ru",
        "support-en",
    }


def test_app_page_on_the_sample_calls_claims_nothing(flow_db, app_for):
    at = app_for(flow_db["db"])
    _ok(at)
    text = "\n".join(m.value for m in at.markdown)
    assert "n too small" in text and "is worse than" not in text and "is better than" not in text
