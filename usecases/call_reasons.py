"""Why customers call: the configured reason taxonomy, and the period's problem statements that matched
none of its reasons, clustered on demand into candidate new reasons (this loads the lemmatizer)."""

from __future__ import annotations

from datetime import datetime

from pipeline.insights.reason_discovery import DiscoveredReason, discover_reasons
from pipeline.insights.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from storage import insights
from usecases.shared_database import connection


def configured_taxonomy() -> Taxonomy | None:
    """The call reason taxonomy the nightly flow uses (configuration's ``reasons_taxonomy``); None if unreadable."""
    from usecases.settings import load_settings

    try:
        return load_taxonomy(load_settings().judging.reasons_taxonomy)
    except (TaxonomyError, ValueError, OSError):
        return None


def discovered_reasons(db: str, since: datetime, until: datetime, teams: tuple[str, ...] = (),
                       min_size: int = 3) -> list[DiscoveredReason]:
    """Clusters of the period's problem statements that matched no taxonomy reason."""
    with connection(db, read_only=True) as con:
        statements = insights.unmatched_statements(con, since, until, teams)
    return discover_reasons(statements, min_size=min_size)
