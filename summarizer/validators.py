"""A feed's HTTP cache validators (ETag, Last-Modified): sent by fetch.py, kept between runs by store.py.

A leaf module, so the store does not import the HTTP client to remember two strings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
