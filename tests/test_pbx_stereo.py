"""The operator's stereo channel decided per call: a FreeSWITCH-style inbound call (caller on the left, so the
operator on the right) is judged on the operator's words although the global setting says left; the same call
named outbound (operator left by the rule) is judged on the customer's words, as the swap would be."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from benchmarks.evaluation import word_error_rate
from pipeline.intake.identity import call_id_from_sha256, content_sha256
from usecases.analysis import analyze_call
from usecases.sources import SourceReader

UUID = "0f0e0d0c-0b0a-4909-8807-060504030201"


def _words(truth: dict, speaker: str) -> str:
    return " ".join(t["text"] for t in truth["turns"] if t["speaker"] == speaker)


def _spoken(analysis, speaker: str) -> str:
    return " ".join(s.text for s in analysis.transcript.segments if s.speaker == speaker)


@pytest.fixture(scope="module")
def operator_right_call(samples_dir, tmp_path_factory):
    """The bundled English call with its channels swapped: the operator on the right, as FreeSWITCH records an
    inbound call (the caller, the customer, on the left)."""
    audio, rate = sf.read(samples_dir / "en_stereo_good.flac", dtype="int16")
    assert audio.ndim == 2 and audio.shape[1] == 2
    inbox = tmp_path_factory.mktemp("inbox")
    swapped = np.ascontiguousarray(audio[:, ::-1])
    inbound = inbox / f"20261120-091500_inbound_79161234567_2001_{UUID}.wav"
    sf.write(inbound, swapped, rate, subtype="PCM_16")
    # The same audio named as an outbound call: the rule says the operator is on the left
    outbound = inbox / f"20261120-091500_outbound_2001_79161234567_{UUID}.wav"
    sf.write(outbound, swapped, rate, subtype="PCM_16")
    truth = json.loads((samples_dir / "en_stereo_good.truth.json").read_text(encoding="utf-8"))
    return inbound, outbound, truth


def _analyse(path, settings):
    sha = content_sha256(path)
    source = SourceReader(settings, logging.getLogger("test")).source(path, call_id_from_sha256(sha), sha,
                                                                      path.stat().st_size)
    return source, analyze_call(source, settings, logging.getLogger("test"))


def test_the_operator_on_the_right_is_judged_with_the_operators_words(operator_right_call, settings):
    inbound, outbound, truth = operator_right_call
    # Global setting: left; no analysis child (the analyzer of this process, loaded once for both calls)
    settings = replace(settings, intake=replace(settings.intake, recorder_preset="freeswitch"),
                       run=replace(settings.run, call_timeout_s=0),
                       asr=replace(settings.asr, operator_channel="left", language="en"))
    source, result = _analyse(inbound, settings)
    assert source.direction == "inbound" and source.operator_channel == "right"
    assert result.status == "processed", result.reason
    operator_wer = word_error_rate(_words(truth, "operator"), _spoken(result.analysis, "operator"))
    print(f"operator on the right, inbound rule: operator WER {operator_wer:.3f}, score {result.analysis.score.value}")
    assert operator_wer < 0.2
    assert word_error_rate(_words(truth, "customer"), _spoken(result.analysis, "customer")) < 0.3
    verdicts = {c.id: c.result for c in result.analysis.criteria}
    assert verdicts["greeting"] == "pass" and verdicts["farewell"] == "pass"

    source, wrong = _analyse(outbound, settings)
    assert source.direction == "outbound" and source.operator_channel == "left"
    misread = word_error_rate(_words(truth, "operator"), _spoken(wrong.analysis, "operator"))
    print(f"same audio read as outbound (operator left): operator WER {misread:.3f}, "
          f"score {wrong.analysis.score.value}")
    assert misread > 0.7  # the customer's words taken for the operator's
    assert wrong.analysis.score.value < result.analysis.score.value
