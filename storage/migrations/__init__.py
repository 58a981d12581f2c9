"""The schema migrations: numbered SQL files, applied in order by ``storage.db.migrate``."""

__all__: list[str] = []  # no Python here: the .sql files are read as package resources
