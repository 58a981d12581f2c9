"""How many CPU threads one analysis may use in this process.

Each library otherwise picks its own count: CTranslate2 takes 4, onnxruntime and torch take
every core. On 2 cores that is twice the cores for recognition alone, and with two calls
analysed at once, four times: the threads then wait on each other. A process that analyses
calls (the CLI, or one of the nightly flow's analysis processes) sets its share once, before
its models are loaded (``usecases.parallelism`` works the share out).
"""

from __future__ import annotations

_threads = 0  # 0: each library's own default


def use_threads(count: int) -> None:
    """Every model loaded after this computes with ``count`` threads (0: the libraries' defaults)."""
    global _threads
    if count < 0:
        raise ValueError(f"a thread count is 0 (the libraries' defaults) or more, not {count}")
    _threads = count
    if count:
        import torch

        torch.set_num_threads(count)  # resemblyzer's voice embeddings and pyannote's clustering


def analysis_threads() -> int:
    """The count set by ``use_threads`` (0: not set, each library's default)."""
    return _threads
