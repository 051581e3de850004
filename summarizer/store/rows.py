"""What the store hands back: one frozen dataclass per kind of row, and what the store writes for a review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, Self, TypeVar

from ..items import ArticleStatus, DigestItem, ReviewItem, Validators


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Cacheable(Protocol):
    """What the summaries table holds: a daily ``CheckedSummary``, or a weekly's checked prose."""

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self: ...


_Cached = TypeVar("_Cached", bound=Cacheable)


@dataclass(frozen=True)
class StoredArticle:
    canonical_url: str
    url: str
    source: str
    feed_url: str | None
    title: str
    published: str | None
    text: str | None
    text_hash: str | None
    zi: int
    extract_method: str | None
    status: ArticleStatus
    error: str | None
    digest_date: str | None
    duplicate_of: str | None = None  # canonical URL of the article summarized for the same story


@dataclass(frozen=True)
class StoredFeed:
    url: str
    name: str | None
    validators: Validators
    last_status: str | None
    last_error: str | None
    last_checked_at: str | None
    last_ok_at: str | None
    failures_in_a_row: int


@dataclass(frozen=True)
class StoredDigest:
    """The digest a run recorded for its date: items in digest order, highlights flagged on them."""

    date: str
    title: str
    purpose: str
    items: list[DigestItem]
    sha: str  # changes whenever a run records a different digest
    run_id: int | None


@dataclass(frozen=True)
class StoredReview:
    date: str
    state: str
    meta: dict[str, Any]
    draft_sha: str | None
    published_sha: str | None
    published_at: str | None


@dataclass(frozen=True)
class HistoryEntry:
    item_id: int | None
    what: str
    old: str | None
    new: str | None
    at: str


@dataclass(frozen=True)
class ReviewWrite:
    """One review change, written in a single transaction: digest row, changed items, history lines."""

    date: str
    state: str
    meta: dict[str, Any]
    draft_sha: str | None
    published_sha: str | None
    published_at: str | None
    items: dict[int, ReviewItem]
    history: list[tuple[int | None, str, str | None, str | None]]
