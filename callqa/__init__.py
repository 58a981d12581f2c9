"""callqa: offline speech analytics for call-center quality assurance."""

__all__ = ["__version__", "cli", "commands", "logs"]

__version__ = "0.1.0"
