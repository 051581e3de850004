"""Text from strangers made safe to store and print (pure).

Feeds and models may send any code point. Control characters (C0, DEL, C1)
break XML ("invalid token") and terminals; bidi overrides make a line read
differently from what it says; lone surrogates cannot be encoded as UTF-8 and
would crash the write of a draft. All of them are dropped before storage.
"""

from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; DEL and C1; bidi embeddings, overrides and
# isolates; lone surrogates; the two non-characters XML forbids.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029\x85]+")


def clean_text(text: str) -> str:
    """``text`` without control characters, bidi overrides and lone surrogates (tab and newlines kept)."""
    return _UNSAFE.sub("", text)


def one_line(text: str) -> str:
    """``text`` cleaned and on one line: for report lines, headlines and error messages."""
    return _LINE_BREAKS.sub(" ", clean_text(text))


def clean_data(value: object) -> object:
    """Every string inside JSON-like data (dicts, lists) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_data(v) for k, v in value.items()}
    return value
