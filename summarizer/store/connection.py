"""A SQLite connection whose errors name the database file and say what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..errors import StoreError


def database_error(path: Path | str, exc: BaseException) -> StoreError:
    """One line that says what is wrong with the database file and what to do about it."""
    reason = str(exc) or type(exc).__name__
    low = reason.lower()
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        hint = "the file is damaged; restore it from a backup, or move it away to start a new one"
    elif "readonly" in low or "read-only" in low or "permission" in low:
        hint = "the file is read-only; give this user write access to it and its folder"
    elif "full" in low or "no space" in low or "disk i/o" in low:
        hint = "the disk is full or failing; free some space and run again (finished work is kept)"
    else:
        hint = "check the file and its folder"
    return StoreError(f"{path}: database error ({reason}); {hint}")


class _Connection(sqlite3.Connection):
    """A connection whose errors name the file: a damaged, read-only or full database is one line, exit 2."""

    path: Path | str = ""

    def execute(self, *args: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args)
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args)
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc

    def __exit__(self, *exc: Any) -> Any:  # the commit of ``with self.db:`` can fail too (disk full)
        try:
            return super().__exit__(*exc)
        except sqlite3.DatabaseError as error:
            raise database_error(self.path, error) from error
