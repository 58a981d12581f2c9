"""A call's insights in one record: why the customer called (:mod:`pipeline.insights.reasons`) and how
the call ended (:mod:`pipeline.insights.outcomes`), judged on its transcript alone (no audio).

``InsightsJudge.version`` is the taxonomy's digest plus ``METHOD_VERSION``: a stored row of
another version is stale and recomputed. Bump ``METHOD_VERSION`` when the statement, matching or
outcome rules change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.embeddings import SentenceEncoder
from pipeline.insights.outcomes import CallOutcome, OutcomeJudge
from pipeline.insights.reasons import ProblemStatement, ReasonMatch, ReasonMatcher
from pipeline.insights.taxonomy import Taxonomy
from pipeline.records import Transcript

METHOD_VERSION = "2"  # 2: outcome examples widened, neighbourhood vote with a neutral guard


@dataclass(frozen=True, eq=False)
class CallInsights:
    statement: ProblemStatement | None
    embedding: np.ndarray | None = field(repr=False)
    reason_id: str | None
    reason_score: float | None
    reason_method: str
    outcome: CallOutcome

    @classmethod
    def of(cls, reason: ReasonMatch, outcome: CallOutcome) -> CallInsights:
        return cls(reason.statement, reason.embedding, reason.reason_id, reason.score, reason.method, outcome)


def insights_version(taxonomy: Taxonomy) -> str:
    """What a stored row was judged with; known without loading the encoder."""
    return f"{taxonomy.digest}+m{METHOD_VERSION}"


class InsightsJudge:
    """The taxonomy's examples and the outcome examples embedded once, for many calls."""

    def __init__(self, taxonomy: Taxonomy, encoder: SentenceEncoder) -> None:
        self.taxonomy = taxonomy
        self.reasons = ReasonMatcher(taxonomy, encoder)
        self.outcomes = OutcomeJudge(encoder)

    @property
    def version(self) -> str:
        return insights_version(self.taxonomy)

    def judge(self, transcript: Transcript) -> CallInsights:
        return CallInsights.of(self.reasons.match(transcript), self.outcomes.judge(transcript))
