"""What the night learns beyond the scorecard: why customers called, how calls ended, predicted satisfaction."""

__all__ = [
    "call_insights",
    "csat_agreement",
    "outcome_examples",
    "outcomes",
    "reason_discovery",
    "reasons",
    "satisfaction",
    "satisfaction_calibration",
    "taxonomy",
]
