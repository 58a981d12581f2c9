"""Real phone calls (../shared/eval/hvb_dev): no party's words are lost on stereo, and nobody fails
on speech that was spoken. Real people on a real telephone line, 8 kHz, one party per channel, a
caller who answers in short bursts with long pauses; human transcripts and a reviewer's verdicts.

The benchmark with every figure (mono mix, plain faster-whisper beside it) is
``benchmarks/real_calls.py``; these tests hold the floor it reached.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from benchmarks.evaluation import analyze_heard, coverage, load_real_calls, word_errors

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

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
    """(the product's analyzer, [(call, analysis as stored)], {call id: segments before masking}).

    Each call is analysed once, as the product stores it (masked); the words lost are measured on
    the segments as recognised, before masking (a name masked is not a word lost)."""
    from dataclasses import replace

    from usecases.runtime import build_analyzer

    analyzer = build_analyzer(replace(settings, asr=replace(settings.asr, language="en"),
                                      judging=replace(settings.judging, redact_pii=True)))
    outputs, heard = [], {}
    for call in real_calls:
        analysis, heard[call.call_id] = analyze_heard(analyzer, call.path)
        outputs.append((call, analysis))
    return analyzer, outputs, heard


def _benchmark(script: str):
    """A benchmark script (path under benchmarks/, no suffix) as a module, loaded from its file as it runs."""
    name = Path(script).name
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_no_partys_words_are_lost_on_stereo(analysed):
    totals = {party: [0, 0] for party in ("operator", "customer")}
    for call, analysis in analysed[1]:
        assert analysis.transcript.speaker_method == "stereo_channels"
        for party in ("operator", "customer"):
            mine = [s for s in analysed[2][call.call_id] if s.speaker == party]
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
    for call, analysis in analysed[1]:
        got = {c.id: c for c in analysis.criteria}
        for criterion, want in call.labels.items():
            compared += 1
            if got[criterion].result != want:
                wrong.append(f"{call.call_id} {criterion}: {want} -> {got[criterion].result} ({got[criterion].reason})")
            assert "not transcribed" not in got[criterion].reason or got[criterion].result == "unknown"
        # Each call's speech was mostly heard: none of these calls is flagged for lost speech.
        assert analysis.metrics.speech_heard_share >= 0.85, call.call_id
        assert "untranscribed_speech" not in analysis.score.flags
    # One verdict in 23 is still wrong: the scorecard as shipped does not know the bank, and one
    # opening is heard "Harper Valley National Day" with confidence (the next test lists the bank:
    # all 23 right);
    # every other label is matched (before: lost speech failed operators).
    assert len(wrong) <= 1, wrong
    assert compared >= 20


def test_a_centre_that_lists_its_name_passes_every_introduction(real_calls, settings, tmp_path):
    from dataclasses import replace

    from benchmarks.evaluation import scorecard_with_brands
    from usecases.runtime import build_analyzer

    # The bank's distinctive name, as its centre would list it (and as callers say it).
    card = scorecard_with_brands(settings.judging.scorecard, {"en": ["Harper Valley"]}, tmp_path)
    analyzer = build_analyzer(replace(settings, asr=replace(settings.asr, language="en"),
                                      judging=replace(settings.judging, scorecard=str(card))))
    for call in real_calls:
        analysis = analyzer.analyze(call.path)
        got = {c.id: c for c in analysis.criteria}
        assert {k: got[k].result for k in call.labels} == call.labels, (call.call_id, got["introduction"].reason)


# What broke on the realism set while #14 was built (benchmarks/realism.py): a DC offset made the stereo
# call look mono and lost 18 of 25 caller words; crosstalk 20-30 dB down put the operator's words in the
# caller's mouth; a caller 10-25 dB quieter lost short answers; long pauses and hold music between turns.
# Not noise: under babble at 10-20 dB SNR this caller keeps 26-29 of 33 words from run to run (4-7 lost,
# 10 before the noisy-channel VAD threshold); benchmarks/realism.py measures it over all calls.
REALISM_CASES = ("sparse", "quiet_customer", "bleed", "dc_offset", "hold_music")


def test_a_real_call_degraded_like_a_pbx_loses_no_words_and_fails_nobody(analysed, real_calls, tmp_path):
    make, realism = _benchmark("datasets/make_realism_set"), _benchmark("realism")
    analyzer, outputs, _ = analysed
    # The call of the issue: a caller who answers in short bursts, the case that lost every word.
    call, clean = next((c, a) for c, a in outputs if c.call_id == "0002f70f7386445b")
    source = make.Source(call, make._read(call.path))
    context = make.Context([make.Source(c, make._read(c.path)) for c in real_calls if c is not call], tmp_path)
    heard = {p: " ".join(s.text for s in clean.segments if s.speaker == p) for p in ("operator", "customer")}
    verdicts = {c.id: c.result for c in clean.criteria}
    for variant in REALISM_CASES:
        made = make.MAKERS[variant](source, make._rng(0, call.call_id, variant), tmp_path / f"{variant}.flac", context)
        got = analyzer.analyze(made.path)
        for party, text in heard.items():
            now = " ".join(s.text for s in got.segments if s.speaker == party)
            lost = realism.lost_words(text, now, "en")
            assert lost["deleted"] <= 0.05 * lost["clean_words"], f"{variant}: {party} lost {lost}: {now}"
        changed = {k: f"{v}->{r.result}" for k, v in verdicts.items()
                   for r in got.criteria if r.id == k and v == "pass" and r.result == "fail"}
        assert not changed, f"{variant}: {changed}"


def test_a_gsm_coded_call_fails_nobody_on_a_name_heard_unsure(analysed, real_calls, tmp_path):
    import shutil

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg (with libgsm) is needed to code the call as a GSM recorder does")
    make = _benchmark("datasets/make_realism_set")
    analyzer, outputs, _ = analysed
    # GSM 06.10 leaves "Harper Valley National Bank" recognised at probability 0.3-0.4: before, the
    # company counted as not said and the introduction failed.
    call, clean = next((c, a) for c, a in outputs if c.call_id == "3a20358e1bfc4a17")
    source = make.Source(call, make._read(call.path))
    context = make.Context([source], tmp_path)
    made = make.MAKERS["gsm"](source, make._rng(0, call.call_id, "gsm"), tmp_path / "gsm.flac", context)
    got = {c.id: c for c in analyzer.analyze(made.path).criteria}
    changed = {c.id: f"pass->fail ({got[c.id].reason})" for c in clean.criteria
               if c.result == "pass" and got[c.id].result == "fail"}
    assert not changed, changed
