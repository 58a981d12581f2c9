"""Real phone calls (../shared/eval/hvb_dev): no party's words are lost on stereo, and nobody fails
on speech that was spoken. Real people on a real telephone line, 8 kHz, one party per channel, a
caller who answers in short bursts with long pauses; human transcripts and a reviewer's verdicts.

The benchmark with every figure (mono mix, plain faster-whisper beside it) is
``benchmarks/real_calls.py``; these tests hold the floor it reached.
"""

from __future__ import annotations

import pytest

from callqa.evaluation import coverage, load_real_calls, word_errors

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_calls(eval_dir):
    folder = eval_dir / "hvb_dev"
    if not folder.is_dir():
        pytest.skip(f"real calls not found at {folder}")
    calls = load_real_calls(folder)
    assert len(calls) >= 6, "hvb_dev should hold six calls"
    return calls


@pytest.fixture(scope="module")
def analysed(real_calls, settings):
    from dataclasses import replace

    from callqa.runtime import build_analyzer

    analyzer = build_analyzer(replace(settings, language="en"))
    return [(call, analyzer.analyze(call.path)) for call in real_calls]


def test_no_partys_words_are_lost_on_stereo(analysed):
    totals = {party: [0, 0] for party in ("operator", "customer")}
    for call, analysis in analysed:
        assert analysis.transcript.speaker_method == "stereo_channels"
        for party in ("operator", "customer"):
            mine = [s for s in analysis.segments if s.speaker == party]
            said = [(t.start, t.end) for t in call.turns if t.speaker == party]
            covered, speech = coverage(said, [(s.start, s.end) for s in mine])
            # Before the guards judged words one by one, a caller's channel lost up to all its words.
            assert covered / speech >= 0.75, f"{call.call_id}: {party} speech covered {covered / speech:.2f}"
            edits, words = word_errors(call.reference(party), " ".join(s.text for s in mine), "en")
            assert edits / words <= 0.35, f"{call.call_id}: {party} WER {edits / words:.2f}"
            totals[party][0] += edits
            totals[party][1] += words
    for party, (edits, words) in totals.items():
        assert edits / words <= 0.15, f"{party} WER over the calls {edits / words:.3f}"


def test_verdicts_agree_with_the_reviewer_and_lost_speech_fails_nobody(analysed):
    compared, wrong = 0, []
    for call, analysis in analysed:
        got = {c.id: c for c in analysis.criteria}
        for criterion, want in call.labels.items():
            compared += 1
            if got[criterion].result != want:
                wrong.append(f"{call.call_id} {criterion}: {want} -> {got[criterion].result} ({got[criterion].reason})")
            assert "not transcribed" not in got[criterion].reason or got[criterion].result == "unknown"
        # Each call's speech was mostly heard: none of these calls is flagged for lost speech.
        assert analysis.metrics.speech_heard_share >= 0.85, call.call_id
        assert "untranscribed_speech" not in analysis.score.flags
    # One verdict in 23 is still wrong: a misrecognised company name ("Harper Valley National Day"),
    # heard with confidence; every other label is matched (before: lost speech failed operators).
    assert len(wrong) <= 1, wrong
    assert compared >= 20
