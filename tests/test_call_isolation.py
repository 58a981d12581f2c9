"""Each call runs in an analysis process: a call past its timeout is stopped, a crashed process
is replaced and the call retried, and the flow goes on."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

import pytest

from pipeline.intake.identity import call_id_from_sha256, content_sha256
from storage.calls import SourceFile
from usecases.analysis import analyze_call
from usecases.analysis_process import analysis_processes

pytestmark = pytest.mark.slow
LOG = logging.getLogger("test")


def _source(path) -> SourceFile:
    sha = content_sha256(path)
    return SourceFile(str(path), sha, call_id_from_sha256(sha), path.stat().st_size)


def test_a_crashed_analysis_is_retried_and_a_call_past_its_timeout_is_stopped(settings, samples_dir):
    call = _source(samples_dir / "ru_stereo_good.flac")
    patient = replace(settings, run=replace(settings.run, call_timeout_s=600.0, call_retries=1, retry_backoff_s=0.0))
    with analysis_processes().lease() as child:  # idle again at once: the call below leases this one
        pass

    def kill_once_busy() -> None:  # the out-of-memory killer strikes in the middle of the call
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            process = child._process
            if process is not None and child._loaded is not None and process.poll() is None:
                time.sleep(0.5)
                process.kill()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_once_busy)
    killer.start()
    outcome = analyze_call(call, patient, LOG)
    killer.join()
    assert outcome.status == "processed", outcome.reason
    assert outcome.analysis.duration_s > 20 and outcome.analysis.source_path == call.path

    hurried = replace(patient, run=replace(patient.run, call_timeout_s=0.3))
    started = time.monotonic()
    outcome = analyze_call(call, hurried, LOG)
    assert outcome.status == "failed" and outcome.reason.startswith("timed out")
    assert time.monotonic() - started < 15, "stopped at the timeout, not at the end of the call"
    assert child._process is None, "the stopped process is gone; the next call starts a fresh one"
