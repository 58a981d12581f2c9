"""Periodic QA reports: typed report records (``model``), the report period arithmetic,
charts (matplotlib, inline SVG), the HTML page, the Excel workbook, and the reports folder.

Knows nothing of DuckDB or Prefect: ``storage.reports`` assembles a ``QAReport``,
``usecases.reports`` writes it for each group, ``flows.periodic_reports`` schedules that.
"""

__all__ = [
    "cells",
    "charts",
    "excel",
    "files",
    "html",
    "i18n",
    "labels",
    "model",
    "numbers",
]
