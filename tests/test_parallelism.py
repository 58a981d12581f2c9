"""How many calls a machine analyses at once, and with how many threads each (usecases/parallelism.py),
and the pool of analysis processes that lets several calls run at once (usecases/analysis_process.py)."""

from __future__ import annotations

import threading

import pytest

from usecases import parallelism
from usecases.analysis_process import AnalysisPool
from usecases.parallelism import (
    analyses_at_once,
    batch_size_for,
    local_workers,
    threads_per_analysis,
    with_threads,
)
from usecases.settings import load_settings

GB = 2**30


@pytest.fixture
def eight_cores_plenty_of_memory(monkeypatch):
    monkeypatch.setattr(parallelism, "machine_cores", lambda: 8)
    monkeypatch.setattr(parallelism, "available_memory_bytes", lambda: 64 * GB)


def test_a_cpu_machine_analyses_a_call_per_core_each_with_one_thread(eight_cores_plenty_of_memory):
    settings = load_settings(asr_device="cpu")
    assert local_workers(settings) == 8
    assert threads_per_analysis(settings, 8) == 1
    assert with_threads(settings, 8).asr.cpu_threads == 1
    assert with_threads(settings, 1).asr.cpu_threads == 8, "one call at a time gets every core"


def test_memory_bounds_the_calls_at_once(monkeypatch):
    monkeypatch.setattr(parallelism, "machine_cores", lambda: 8)
    monkeypatch.setattr(parallelism, "available_memory_bytes", lambda: 6 * GB)  # room for two analyses
    assert local_workers(load_settings(asr_device="cpu")) == 2
    monkeypatch.setattr(parallelism, "available_memory_bytes", lambda: GB)  # less than one: still one
    assert local_workers(load_settings(asr_device="cpu")) == 1


def test_what_a_site_sets_wins_and_a_gpu_or_an_in_process_analysis_takes_one_call_at_a_time(
    eight_cores_plenty_of_memory,
):
    assert local_workers(load_settings(asr_device="cpu", workers=3)) == 3
    assert threads_per_analysis(load_settings(asr_device="cpu", asr_cpu_threads=2), 8) == 2
    assert threads_per_analysis(load_settings(asr_device="cpu"), 3) == 2, "8 cores shared by 3: 2 each"
    assert local_workers(load_settings(asr_device="cuda")) == 1
    assert local_workers(load_settings(asr_device="cpu", call_timeout_s=0)) == 1


def test_a_dask_cluster_sets_the_count_of_calls_at_once(eight_cores_plenty_of_memory):
    assert analyses_at_once(load_settings(asr_device="cpu", dask_workers=2)) == 2
    assert analyses_at_once(load_settings(asr_device="cpu", dask_address="tcp://10.0.0.5:8786")) == 0
    assert analyses_at_once(load_settings(asr_device="cpu")) == 8


def test_batches_are_small_enough_for_every_worker_to_have_calls_to_take():
    settings = load_settings(batch_size=32)
    assert batch_size_for(6, settings, 2) == 1, "6 calls, 2 at once: none waits behind a batch of 3"
    assert batch_size_for(80, settings, 2) == 10
    assert batch_size_for(10_000, settings, 2) == 32, "never over batch_size"
    assert batch_size_for(6, settings, 1) == 32, "one at a time: batch_size as set"
    assert batch_size_for(6, settings, 0) == 32, "a cluster of its own size: batch_size as set"


def test_negative_counts_are_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="workers"):
        load_settings(workers=-1)
    with pytest.raises(ValueError, match="asr_cpu_threads"):
        load_settings(asr_cpu_threads=-2)


def test_concurrent_calls_lease_different_analysis_processes_and_idle_ones_are_reused():
    pool = AnalysisPool()  # AnalysisProcess starts its child on its first call: none is started here
    both_inside = threading.Barrier(2, timeout=10)
    leased = []

    def call():
        with pool.lease() as child:
            leased.append(child)
            both_inside.wait()  # two calls at once

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert leased[0] is not leased[1]
    assert pool.idle() == 2
    with pool.lease() as again:
        assert again in leased, "an idle child is reused, with its models loaded"
        assert pool.idle() == 1
    pool.stop_all()
    assert pool.idle() == 0


def test_an_analysis_computes_with_the_threads_its_settings_give(settings):
    import torch

    from models.threads import analysis_threads, use_threads
    from usecases.runtime import build_analyzer

    before = (analysis_threads(), torch.get_num_threads())
    try:
        analyzer = build_analyzer(with_threads(settings, 2 * parallelism.machine_cores()))  # more calls than cores
        assert analyzer.recognizer.cpu_threads == 1
        assert analysis_threads() == 1 and torch.get_num_threads() == 1
        analyzer = build_analyzer(settings)  # the CLI's one call at a time: every core
        assert analyzer.recognizer.cpu_threads == parallelism.machine_cores()
    finally:
        use_threads(before[0])
        torch.set_num_threads(before[1])
