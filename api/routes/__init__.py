"""The ``/v1`` routes, one module per concern: health, calls (submit, status, results, transcript, recording,
lists, verdicts), reports (operators' scores, coaching topics, runs) and writes (CSAT, erasures)."""

__all__ = ["calls", "health", "operations", "reports", "writes"]
