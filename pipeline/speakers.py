"""Speaker labels for mono recordings (first version: voice clustering of turns).

Each turn gets a voice embedding, the turns are split into two voices, and the
voice that speaks first is the operator (on an inbound line the operator
answers). A turn whose voice is ambiguous stays ``unknown``, and so does the
whole call when the two voices are not clearly apart: guessing would blame the
operator for the customer's words. Issue #3 replaces this with pyannote
diarization, which also splits turns that ASR merged.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from models.embeddings import SpeakerEncoder, load_speaker_encoder
from pipeline.records import Segment

# The two voices must be this much more alike within than between (mean cosine similarity).
MIN_SEPARATION = 0.05
# A turn whose similarity to its own voice beats the other by less than this stays unknown.
MIN_TURN_MARGIN = 0.02
# Turns shorter than this are too short for a reliable voice print: labelled, but not clustered.
MIN_TURN_S = 1.0


def _cluster_two_voices(x: np.ndarray) -> np.ndarray:
    """Average-linkage clustering on cosine distance: robust to one odd turn, unlike seeded k-means."""
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=2, metric="cosine", linkage="average").fit_predict(x)


def _separation(sim: np.ndarray, labels: np.ndarray) -> float:
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    within = sim[same & off_diagonal]
    between = sim[~same]
    if within.size == 0 or between.size == 0:
        return 0.0
    return float(within.mean() - between.mean())


def label_mono_speakers(
    audio: np.ndarray, sample_rate: int, segments: Sequence[Segment], encoder: SpeakerEncoder | None = None
) -> tuple[list[Segment], str]:
    """Return the segments with speakers assigned, and the method that assigned them."""
    segments = list(segments)
    usable = [i for i, s in enumerate(segments) if s.end - s.start >= MIN_TURN_S]
    if len(usable) < 3:
        return segments, "mono_unassigned"
    encoder = encoder or load_speaker_encoder()
    embeddings = np.stack(
        [encoder.embed(audio[int(s.start * sample_rate) : int(s.end * sample_rate)]) for s in segments]
    )
    durations = np.array([s.end - s.start for s in segments])
    x = embeddings[usable]
    labels_usable = _cluster_two_voices(x)
    if _separation(x @ x.T, labels_usable) < MIN_SEPARATION:
        return segments, "mono_unassigned"
    centroids = []
    for k in (0, 1):
        members = [usable[i] for i in np.flatnonzero(labels_usable == k)]
        c = (embeddings[members] * durations[members, None]).sum(axis=0)
        centroids.append(c / (np.linalg.norm(c) + 1e-9))
    centroids = np.stack(centroids)

    sims = embeddings @ centroids.T
    labels = np.argmax(sims, axis=1)
    margins = np.abs(sims[:, 0] - sims[:, 1])
    operator_voice = labels[0] if durations[0] >= MIN_TURN_S else labels[usable[0]]
    out = []
    for seg, label, margin, duration in zip(segments, labels, margins, durations):
        if margin < MIN_TURN_MARGIN or duration < 0.3:
            out.append(replace(seg, speaker="unknown", speaker_confidence=float(margin)))
        else:
            role = "operator" if label == operator_voice else "customer"
            out.append(replace(seg, speaker=role, speaker_confidence=float(min(1.0, 0.5 + 2 * margin))))
    return out, "mono_voice_clusters"
