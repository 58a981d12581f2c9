"""benchmarks/gpu.py on a machine without a usable GPU (CI, this project's machines): it says what is missing
and exits 2, so that no one reads an empty run as a measured GPU path. Its measuring parts need a GPU and
run on the device machine (README: *The GPU path*)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


def test_without_a_gpu_it_says_the_gpu_path_stays_unmeasured(tmp_path):
    from benchmarks.gpu import cuda_problem

    if cuda_problem() is None:
        pytest.skip("this machine has a GPU CTranslate2 can use: run benchmarks/gpu.py itself")
    out = tmp_path / "gpu.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu.py"), "--json", str(out)],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 2, proc.stderr
    assert "no usable GPU here, the GPU path stays unmeasured" in proc.stderr
    assert not out.exists()


def test_the_gpu_memory_sampler_gives_none_without_nvidia_smi(monkeypatch):
    from benchmarks.gpu import GpuMemory

    monkeypatch.setenv("PATH", "/nonexistent")
    with GpuMemory(every_s=0.05) as memory:
        pass
    assert memory.peak_mib is None
