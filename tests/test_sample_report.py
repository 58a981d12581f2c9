"""The weekly report's accuracy section (HTML and the Excel sheet), from the audit sample's reviews, in
English and Russian: the figures with their intervals, the small-n mark and what the flags miss."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import openpyxl

from reporting.model import ReportPeriod
from storage.db import connect
from tests.test_sample_draw import AT, NIGHT, add_call, review, settings_for
from usecases.audit_sampling import draw, night
from usecases.reports import write_reports
from usecases.settings import InterfaceSettings, ReportSettings


def _db(tmp_path):
    db = tmp_path / "callqa.duckdb"
    with connect(db) as con:
        for i in range(10):
            add_call(con, f"c{i:02d}", operator=f"op.{'ab'[i % 2]}", at=AT + timedelta(minutes=i),
                     auto={"greeting": "fail" if i < 3 else "pass", "farewell": "pass"},
                     flags=("critical_fail",) if i < 3 else ())
    drawn = draw(settings_for(db, per_stratum=5), night(NIGHT), "nightly")
    with connect(db) as con:
        for c in drawn.calls:  # every call sampled; the reviewer fails greeting in c00, c01 and c05
            review(con, c.call_id, "greeting", "fail" if c.call_id in ("c00", "c01", "c05") else "pass")
    return db


def test_the_weekly_report_has_the_accuracy_section(tmp_path):
    db = _db(tmp_path)
    week = ReportPeriod.containing("week", date(2026, 3, 2))
    for language, heading, sheet, missed in (
            ("en", "Accuracy of the automatic verdicts", "Accuracy", "1 sampled call a reviewer failed had no flag"),
            ("ru", "Точность автоматических оценок", "Точность", "1 звонок выборки")):
        settings = replace(settings_for(db), interface=replace(InterfaceSettings(), language=language),
                           reports=replace(ReportSettings(), dir=tmp_path / f"reports-{language}", groups=("all",)))
        [written] = write_reports(settings, week)
        html = written.html.read_text(encoding="utf-8")
        assert heading in html and missed in html
        # greeting: 3 automatic fails, 2 upheld (precision 2/3), reviewer's 3 fails, 2 found (recall 2/3), n=10 < 30
        assert ("2 of 3 ⚠" if language == "en" else "2 из 3 ⚠") in html
        book = openpyxl.load_workbook(written.xlsx)
        assert sheet in book.sheetnames
        ws = book[sheet]
        values = [[c.value for c in row] for row in ws.iter_rows()]
        [greeting] = [r for r in values[1:] if r[3] is not None]  # farewell: no automatic fail, no precision
        assert greeting[2] == 10 and abs(greeting[3] - 2 / 3) < 1e-9 and greeting[3 + 3] == 3  # precision, of 3
        assert greeting[4] < 2 / 3 < greeting[5]  # the interval holds the figure
