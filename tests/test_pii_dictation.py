"""A customer dictating personal data, through the real speech layer, masked everywhere it lands.

``tests/fixtures/pii_dictation_ru.flac`` (made by ``benchmarks/pii.py make-dictation``: festival voices,
operator LEFT, customer RIGHT, 8 kHz) has the operator ask for a phone, a card (read in two halves
around "Так, повторите, пожалуйста"), the code on the back, an e-mail and a name; its truth file
says when each was said. Before issue #15 Whisper's "8 ,945 ,192 ,05 ,48" went through unmasked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.intake.identity import call_id_from_sha256, content_sha256
from storage.calls import SourceFile, save_analysis
from storage.db import connect
from storage.search import refresh_search_index, search

DICTATION = Path(__file__).parent / "fixtures" / "pii_dictation_ru.flac"


@pytest.fixture(scope="module")
def dictated(analyzer):
    truth = json.loads(DICTATION.with_suffix(".truth.json").read_text(encoding="utf-8"))
    return analyzer.analyze(DICTATION), truth["items"]


def _digit_groups(value: str) -> list[str]:
    """Every 4 digits in a row of a dictated value: none may be readable anywhere."""
    digits = re.sub(r"\D", "", value)
    return [digits[i : i + 4] for i in range(len(digits) - 3)]


def _everything_shown(analysis) -> str:
    parts = [s.text for s in analysis.segments] + [w.text for s in analysis.segments for w in s.words]
    parts += [c.evidence.text for c in analysis.criteria if c.evidence]
    parts += [d.evidence_text or "" for d in analysis.detections]
    return re.sub(r"\D", "", " ".join(parts))


def test_no_dictated_number_is_readable_in_what_is_stored(dictated):
    analysis, items = dictated
    shown = _everything_shown(analysis)
    for item in items:
        for group in _digit_groups(item["value"]):
            assert group not in shown, f"{item['kind']} {item['text']!r}: {group} readable"
    customer = " ".join(s.text for s in analysis.segments if s.speaker == "customer")
    assert "[PHONE]" in customer and "[NAME]" in customer
    # The code on the card's back: masked after its keyword however Whisper heard the digits. A short run is a
    # [CODE]; this recording's 978 has also come out as "9700 -8400 -147178" (a run that long is masked as a
    # phone), depending on the CPU's and the libraries' arithmetic, so the label is not what is checked here.
    assert re.search(r"на ?обороте,? \[(CODE|PHONE|ACCOUNT)\]", customer), customer


def test_every_dictated_item_is_muted(dictated):
    analysis, items = dictated
    for item in items:
        said = item["end"] - item["start"]
        muted = sum(max(0.0, min(item["end"], p.end) - max(item["start"], p.start)) for p in analysis.pii)
        # Whisper's word times are approximate: most of the item, not every millisecond.
        assert muted >= 0.5 * said, f"{item['kind']} {item['text']!r}: {muted:.1f} of {said:.1f} s muted"


def test_a_reviewer_searching_for_the_card_finds_nothing(dictated, tmp_path):
    analysis, items = dictated
    sha = content_sha256(DICTATION)
    source = SourceFile(str(DICTATION), sha, call_id_from_sha256(sha), DICTATION.stat().st_size)
    db = tmp_path / "calls.duckdb"
    with connect(db) as con:
        save_analysis(con, source, analysis)
        refresh_search_index(con)
        cards = [re.sub(r"\D", "", item["value"]) for item in items if item["kind"] == "card"]
        for group in [digits[:4] for digits in cards] + [digits[-4:] for digits in cards]:
            assert search(con, group).total == 0, f"search for {group} finds the card"
        # The index works: an ordinary word of the call is found.
        assert search(con, "повторите").total >= 1
