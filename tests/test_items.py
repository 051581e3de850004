"""The item chain (summarizer/items.py): every stored or written shape derives from the typed items."""

import json
from pathlib import Path

from reviewing import DATE, make_draft
from servers import FakeOpenAI, SiteServer

from summarizer.items import CheckResult, DigestItem, Problem, ReviewItem
from summarizer.jinja import flagged_terms
from summarizer.review.state import Review
from summarizer.store import Store

PROBLEM = Problem("number", "第2条要点：数字“42%”在原文中找不到", 2, "42%")


def _item(**changes: object) -> DigestItem:
    base: dict[str, object] = dict(
        canonical_url="https://a.example/x", headline="标题", emoji="🚀", section="其他",
        bullets=["一", "二", "三"], importance=5, links=["https://a.example/x"], source="a.example",
        source_title="Title", source_zi=900, published="2026-11-20T08:00:00+00:00", flags=[PROBLEM], highlight=2,
        sources=2)
    return DigestItem(**{**base, **changes})  # type: ignore[arg-type]


def test_a_digest_item_round_trips_through_its_stored_form() -> None:
    item = _item()
    stored = json.loads(json.dumps(item.to_dict(), ensure_ascii=False))
    assert DigestItem.from_dict(stored) == item
    assert stored["flags"][0] == {"kind": "number", "message": PROBLEM.message, "bullet": 2, "term": "42%"}


def test_the_users_json_keeps_its_shape() -> None:
    data = _item().to_json()
    assert data["flags"] == [PROBLEM.message] and data["zi"] == _item().zi and "highlight" not in data
    assert list(data) == ["canonical_url", "headline", "emoji", "section", "bullets", "importance", "links",
                          "source", "source_title", "source_zi", "published", "flags", "sources", "notes", "zi"]


def test_a_review_item_is_a_digest_item_under_review() -> None:
    review = ReviewItem.under_review(_item(), item_id=3, position=1)
    assert (review.id, review.position, review.status, review.highlight) == (3, 1, "pending", 2)
    review.acked = [PROBLEM]
    assert review.unresolved == [] and review.digest_item().flags == []
    assert review.digest_item(with_flags=False) == _item(flags=[])
    assert ReviewItem.from_dict(json.loads(json.dumps(review.to_dict()))) == review


def test_rows_written_before_problems_were_structured_still_load() -> None:
    legacy = ReviewItem.from_dict({**_item().to_dict(), "flags": [PROBLEM.message], "acked": [PROBLEM.message],
                                   "id": 1})
    assert legacy.flags == [Problem("flag", PROBLEM.message)] and legacy.unresolved == []
    check = CheckResult.from_dict({"flags": [PROBLEM.message], "quotes_found": 2, "quotes_total": 3})
    assert check.flags == [PROBLEM.message] and check.quotes_total == 3


def test_the_page_marks_the_problems_terms_not_quotes_parsed_from_messages() -> None:
    unquoted = Problem("name", "第1条要点：名称在原文中找不到", 1, "Anthropic")
    quoted_no_term = Problem("headline", "标题：与原文主题对不上（“某词”）")
    assert flagged_terms([PROBLEM, unquoted, quoted_no_term]) == ["Anthropic", "42%"]


def test_review_reads_the_digest_from_the_store_not_the_json_file(tmp_path: Path, site: SiteServer,
                                                                   fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    published = json.loads(day.draft_json.read_text(encoding="utf-8"))
    day.draft_json.unlink()  # a user's file: review does not need it
    with Store(day.settings.database_path) as store:
        recorded = store.digest(DATE)
        assert recorded is not None
        by_place = sorted((i for i in recorded.items if i.highlight), key=lambda i: i.highlight)
        assert [i.canonical_url for i in by_place] == published["highlights"]  # the flag, not headlines
        review = Review.open(store, day.settings, DATE)
        assert [i.canonical_url for i in review.live()] == \
            [i["canonical_url"] for s in published["sections"] for i in s["items"]]
        assert [i.canonical_url for i in review.digest().highlights] == published["highlights"]
