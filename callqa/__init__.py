"""callqa: offline speech analytics for call-center quality assurance."""

__version__ = "0.1.0"
