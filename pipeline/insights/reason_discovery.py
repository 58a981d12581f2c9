"""Discovering frequent call reasons the taxonomy lacks: clusters of problem statements.

The problem statements of calls that matched no taxonomy reason are clustered on their sentence
vectors (agglomerative, average linkage, cosine distance; a cluster's statements are on average
closer than ``max_distance``). Clusters of at least ``min_size`` calls are returned biggest first,
each with its most central statement (the one closest on average to the others), the words that
set it apart (lemmas far more frequent in it than in all the statements), and example calls.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from models.nlp import load_lemmatizer
from pipeline.insights.reasons import FILLER

MAX_DISTANCE = 0.6  # cosine distance: average similarity inside a cluster above 0.4
MIN_SIZE = 3
EXAMPLES = 5
WORDS = 6
# Function words: never characteristic, whatever their count.
_STOP = frozenset("""
и в во на с со к ко по за из у о об от до для не что как а но же ли бы то это мы они он она оно вы я мой
наш ваш свой весь быть мочь хотеть хочу нужно можно если когда где уже еще там тут так очень
and or in on at to of for from with by not that this it its be have do can will would could should i we you
they he she my our your their me us them a an the there here so as if when where what how about into
""".split())


@dataclass(frozen=True)
class Statement:
    call_id: str
    text: str
    language: str
    embedding: np.ndarray


@dataclass(frozen=True)
class DiscoveredReason:
    size: int
    representative: Statement
    words: tuple[str, ...]
    call_ids: tuple[str, ...]  # examples, the most central first
    members: tuple[str, ...]  # every call of the cluster
    cohesion: float  # mean cosine similarity of the members to the representative


def cluster_labels(vectors: np.ndarray, max_distance: float = MAX_DISTANCE) -> np.ndarray:
    """Cluster numbers per vector (average linkage on cosine distance, cut at ``max_distance``)."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(pdist(vectors.astype(np.float64), metric="cosine"), 0.0, 2.0)
    return fcluster(linkage(distances, method="average"), t=max_distance, criterion="distance")


def _lemmas(statement: Statement) -> set[str]:
    if statement.language not in ("ru", "en"):
        return set()
    out = set()
    for token in load_lemmatizer(statement.language).tokens(statement.text):
        lemma = min(token.lemmas, key=len) if token.lemmas else token.text.lower()
        if len(lemma) > 2 and lemma not in _STOP and lemma not in FILLER and not lemma.isdigit():
            out.add(lemma)
    return out


def characteristic_words(
    members: Sequence[Statement], everyone: Sequence[Statement], limit: int = WORDS
) -> tuple[str, ...]:
    """Lemmas in many of the cluster's statements and few of the others (smoothed ratio of shares)."""
    inside = Counter(lemma for s in members for lemma in _lemmas(s))
    overall = Counter(lemma for s in everyone for lemma in _lemmas(s))
    n_in, n_all = len(members), len(everyone)
    score = {
        lemma: (c / n_in) * (c / n_in) / ((overall[lemma] + 1) / (n_all + 1)) for lemma, c in inside.items() if c >= 2
    }
    return tuple(sorted(score, key=lambda lemma: (-score[lemma], lemma))[:limit])


def discover_reasons(statements: Sequence[Statement], min_size: int = MIN_SIZE,
                     max_distance: float = MAX_DISTANCE, examples: int = EXAMPLES) -> list[DiscoveredReason]:
    if len(statements) < max(min_size, 2):
        return []
    vectors = np.stack([s.embedding for s in statements]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    labels = cluster_labels(vectors, max_distance)
    found = []
    for label in np.unique(labels):
        index = np.flatnonzero(labels == label)
        if len(index) < min_size:
            continue
        sims = vectors[index] @ vectors[index].T
        centrality = sims.mean(axis=1)
        order = index[np.argsort(-centrality)]
        centre = order[0]
        members = [statements[int(i)] for i in index]
        found.append(DiscoveredReason(
            size=len(index),
            representative=statements[centre],
            words=characteristic_words(members, statements),
            call_ids=tuple(statements[i].call_id for i in order[:examples]),
            members=tuple(statements[i].call_id for i in order),
            cohesion=float((vectors[index] @ vectors[centre]).mean()),
        ))
    return sorted(found, key=lambda d: (-d.size, -d.cohesion))
