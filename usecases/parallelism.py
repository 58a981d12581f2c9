"""How many calls a machine analyses at once, and how many threads each of them gets.

On 2 cores, two calls at once with one thread each analyse 1.5x the audio per hour of one call
with two threads (README, *Measured figures*): one call does not keep two cores busy, and a
second call fills the idle one. Each analysis process holds its own
models (2.3 GB measured at peak on a mono call, with diarization), so memory bounds the count, and
a GPU, which already runs one call's batches in parallel, takes one call at a time.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace

from usecases.settings import Settings

WORKER_MEMORY_BYTES = int(2.5 * 2**30)  # one analysis process: 2.3 GB measured at peak (mono call, diarization)


def machine_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def available_memory_bytes() -> int | None:
    """Memory available to new processes, from /proc/meminfo (None where there is none)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _uses_gpu(settings: Settings) -> bool:
    if settings.asr.device == "cuda":
        return True
    if settings.asr.device != "auto":
        return False
    from models.asr import cuda_available

    return cuda_available()


def local_workers(settings: Settings) -> int:
    """Calls this machine analyses at once in a run without Dask (``workers``; 0 = decided here)."""
    if settings.run.workers:
        return settings.run.workers
    if settings.run.call_timeout_s == 0:  # the analysis runs in the task's own process: one at a time
        return 1
    if _uses_gpu(settings):
        return 1
    memory = available_memory_bytes()
    by_memory = machine_cores() if memory is None else max(1, memory // WORKER_MEMORY_BYTES)
    return max(1, min(machine_cores(), by_memory))


def analyses_at_once(settings: Settings) -> int:
    """Calls a run analyses at the same time: a local Dask cluster's workers, or this machine's analysis
    processes; 0 on an existing Dask cluster, whose size the cluster decides."""
    if settings.run.dask_address:
        return 0
    if settings.run.dask_workers:
        return settings.run.dask_workers
    return local_workers(settings)


def threads_per_analysis(settings: Settings, at_once: int) -> int:
    """``asr_cpu_threads`` when set, else this machine's cores shared among ``at_once`` analyses."""
    if settings.asr.cpu_threads:
        return settings.asr.cpu_threads
    return max(1, machine_cores() // max(1, at_once))


def with_threads(settings: Settings, at_once: int) -> Settings:
    """``settings`` with each analysis' thread count fixed, for analyses ``at_once`` at a time on this machine."""
    threads = threads_per_analysis(settings, at_once)
    if threads == settings.asr.cpu_threads:
        return settings
    return replace(settings, asr=replace(settings.asr, cpu_threads=threads))


def batch_size_for(calls: int, settings: Settings, at_once: int) -> int:
    """Calls per flow task: ``batch_size``, but small enough that every worker has calls to take,
    and several batches each, so that one long call does not leave the others idle at the end."""
    if at_once <= 1:
        return settings.run.batch_size
    return max(1, min(settings.run.batch_size, math.ceil(calls / (at_once * 4))))
