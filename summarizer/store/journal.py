"""The call journal (m007): each finished LLM call of an article not yet summarized."""

from __future__ import annotations

import sqlite3

from .rows import now_iso


class JournalTables:
    """The call journal (m007, journal.py): each finished LLM call of an article not yet summarized, so a
    killed run repeats none. Part of ``Store``."""

    db: sqlite3.Connection

    def journal_call(self, *, canonical_url: str, text_hash: str, prompt_hash: str, model: str, attempt: int,
                     response: str, input_tokens: int, output_tokens: int, seconds: float,
                     finish_reason: str) -> None:
        with self.db:
            self.db.execute(
                """INSERT OR REPLACE INTO call_journal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (canonical_url, text_hash, prompt_hash, model, attempt, response, input_tokens,
                 output_tokens, seconds, finish_reason, now_iso()),
            )

    def journaled_calls(self, *, canonical_url: str, text_hash: str, prompt_hash: str,
                        model: str) -> list[sqlite3.Row]:
        return list(self.db.execute(
            """SELECT * FROM call_journal WHERE canonical_url = ? AND text_hash = ? AND prompt_hash = ?
               AND model = ? ORDER BY attempt""", (canonical_url, text_hash, prompt_hash, model)))

    def clear_journal(self, *, canonical_url: str, text_hash: str, prompt_hash: str, model: str) -> None:
        with self.db:
            self.db.execute(
                """DELETE FROM call_journal WHERE canonical_url = ? AND text_hash = ? AND prompt_hash = ?
                   AND model = ?""", (canonical_url, text_hash, prompt_hash, model))
