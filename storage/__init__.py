"""The storage layer: the only code that reads or writes the DuckDB database."""
