"""The digest Markdown parser: the golden draft parses; planted errors name their line; hand edits round-trip."""

from pathlib import Path

import pytest
from reviewing import DATE, draft_items, flag, invoke, make_draft
from servers import FakeOpenAI, SiteServer

from summarizer.digest.build import DigestItem
from summarizer.digest.parse import parse_digest, strip_markers
from summarizer.digest.render import render_item
from summarizer.errors import DraftFormatError
from summarizer.jinja import REVIEW_MARKER, link_target
from summarizer.review.state import Review
from summarizer.store import Store

GOLDEN = Path(__file__).parent / "golden" / "2026-11-20.md"
SECTIONS = ["产品介绍", "产业资讯", "技术教程", "其他"]


def test_golden_draft_parses() -> None:
    parsed = parse_digest(GOLDEN.read_text(encoding="utf-8"), sections=SECTIONS)
    assert [name for name, _ in parsed.sections] == ["产品介绍", "产业资讯", "技术教程"]
    assert len(parsed.items) == 6 and len(parsed.highlights) == 6
    assert all(len(item.bullets) == 3 and item.links for item in parsed.items)
    assert parsed.items[0].headline == "拓湾云图要点速览" and parsed.items[0].emoji == "🔬"
    assert parsed.items[0].links == ["http://FIXTURE_HOST/pages/zh-gbk.html"]
    assert [h.headline for h in parsed.highlights][:2] == ["拓湾云图要点速览", "澄光智能要点速览"]
    assert all(item.flags == [] for item in parsed.items)


def _line_of(text: str, needle: str, nth: int = 1, *, after: int = 0) -> int:
    """The 1-based number of the nth line after line ``after`` that contains ``needle``."""
    lines = text.split("\n")
    hits = [n for n, line in enumerate(lines, 1) if needle in line and n > after]
    return hits[nth - 1]


def test_marker_lines_and_several_links_parse() -> None:
    """An item as the template renders it: two flags (a blank line after each), a story's three links."""
    item = DigestItem(canonical_url="https://a.example/x", headline="三家媒体报道同一件事", emoji="📈",
                      section="产业资讯", bullets=["第一条", "第二条", "第三条"], importance=5,
                      links=["https://a.example/x", "https://b.example/y?id=1", "https://c.example/z(1)"],
                      source="a.example", source_title="同一件事", source_zi=900,
                      flags=[flag("数字“42%”在原文中找不到"), flag("“Anthropic”在原文中找不到")])
    rendered = render_item(item)
    assert f"{REVIEW_MARKER}: 数字“42%”在原文中找不到\n\n{REVIEW_MARKER}: " in rendered
    golden = GOLDEN.read_text(encoding="utf-8")
    at = golden.index("## 技术教程")
    text = golden[:at] + rendered + "\n" + golden[at:]
    parsed = parse_digest(text, sections=SECTIONS)
    got = dict(parsed.sections)["产业资讯"][-1]
    assert got.headline == item.headline and got.bullets == item.bullets
    assert got.flags == [f.message for f in item.flags]
    assert got.links == [link_target(link) for link in item.links]
    # Published: the markers go, the links stay, and what is left still parses.
    published = parse_digest(strip_markers(text), sections=SECTIONS)
    assert dict(published.sections)["产业资讯"][-1].flags == [] and \
        dict(published.sections)["产业资讯"][-1].links == got.links
    # A marker after the links is out of order.
    last_link = _line_of(text, "https://c.example/z")
    lines = text.split("\n")
    lines.insert(last_link, f"{REVIEW_MARKER}: 放错位置的标记")
    with pytest.raises(DraftFormatError, match="unexpected line"):
        parse_digest("\n".join(lines), sections=SECTIONS)


@pytest.mark.parametrize("case", ["two_bullets", "no_emoji", "no_quote", "bad_section", "stray_line", "no_link"])
def test_planted_error_names_its_line(case: str) -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    lines = text.split("\n")
    heading = _line_of(text, "### 澄光智能要点速览")
    if case == "two_bullets":
        del lines[_line_of(text, "- 中段", after=heading) - 1]
        expected, message = heading, "exactly 3 bullets, found 2"
    elif case == "no_emoji":
        lines[heading - 1] = "### 澄光智能要点速览"
        expected, message = heading, "1-3 emoji"
    elif case == "no_quote":
        lines[heading + 1] = ">要点解析:"
        expected, message = heading + 2, "expected '> 要点解析:'"
    elif case == "bad_section":
        at = _line_of(text, "## 产业资讯")
        lines[at - 1] = "## 八卦"
        expected, message = at, "unknown section '八卦'"
    elif case == "stray_line":
        at = _line_of(text, "- 结尾", after=heading)
        lines.insert(at, "这一行不属于任何结构")
        expected, message = at + 1, "unexpected line"
    else:
        at = _line_of(text, "pages/zh-1.html")
        lines[at - 1] = "原文链接: http://example.com"
        expected, message = at, "unexpected line"
    with pytest.raises(DraftFormatError, match=message) as info:
        parse_digest("\n".join(lines), sections=SECTIONS, name="draft.md")
    assert info.value.line == expected
    assert f"draft.md line {expected}:" in str(info.value)


def test_strip_markers_leaves_the_reference_format() -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    marked = text.replace("\n原文链接:[http://FIXTURE_HOST/pages/zh-1.html]",
                          f"\n{REVIEW_MARKER}: 数字“42%”在原文中找不到\n\n原文链接:[http://FIXTURE_HOST/pages/zh-1.html]", 1)
    assert marked != text and strip_markers(marked) == text


def test_hand_edited_draft_is_read_back(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm, flags={1: ["数字“42%”在原文中找不到"]})
    assert invoke(day, "review", DATE, "--list").exit_code == 0
    items = draft_items(day)
    assert items[3]["section"] == "技术教程"  # item 4 is the last section's only item
    text = day.draft_md.read_text(encoding="utf-8")
    # The reviewer renames item 1, deletes item 4's whole block, and deletes item 2's marker after checking it.
    assert text.count(f"{items[0]['headline']} ") == 2  # its heading and its 看点 line
    text = text.replace(items[0]["headline"], "编辑器里改的标题")
    start = text.index("## 技术教程")
    text = text[:start].rstrip("\n") + "\n"
    text = "\n".join(line for line in text.split("\n") if items[3]["headline"] not in line)
    text = "\n".join(line for line in text.split("\n") if not line.startswith(REVIEW_MARKER))
    day.draft_md.write_text(text, encoding="utf-8")
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        assert review.item(1).headline == "编辑器里改的标题"
        assert review.item(items[1]["canonical_url"]).headline == items[1]["headline"]  # untouched
        assert review.item(4).status == "dropped"
        assert [i.id for i in review.live()] == [1, 2, 3]
        assert review.item(2).flags == [flag("数字“42%”在原文中找不到")] and review.item(2).unresolved == []
        assert any(h.what == "editor" for h in store.review_history(DATE))
    # The state re-rendered the draft: the highlight list follows the renamed item.
    assert f"- 编辑器里改的标题 {items[0]['emoji']}" in day.draft_md.read_text(encoding="utf-8")


def test_items_sharing_a_headline_keep_their_highlights(tmp_path: Path, site: SiteServer,
                                                        fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        review.edit(2, headline=review.item(1).headline)
        before = {i.id: i.highlight for i in review.items.values()}
    assert all(before.values())  # all four are in 看点
    # A save from the editor that changes nothing visible: the 看点 list has the shared headline twice.
    text = day.draft_md.read_text(encoding="utf-8")
    day.draft_md.write_text(text.replace("## 产业资讯\n", "## 产业资讯\n\n", 1), encoding="utf-8")
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        assert any(h.what == "editor" for h in store.review_history(DATE))
        assert {i.id: i.highlight for i in review.items.values()} == before
        assert len(review.digest().highlights) == 4


def test_publish_names_the_line_of_a_broken_hand_edit(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    assert invoke(day, "review", DATE, "--approve-all").exit_code == 0
    text = day.draft_md.read_text(encoding="utf-8")
    third = draft_items(day)[0]["bullets"][2]
    broken = text.replace(f"- {third}", third, 1)  # item 1's third bullet loses its list mark
    assert broken != text
    day.draft_md.write_text(broken, encoding="utf-8")
    expected = _line_of(broken, third)
    assert broken.split("\n")[expected - 1] == third
    result = invoke(day, "publish", DATE)
    assert result.exit_code == 1
    assert f"{DATE}.md line {expected}: unexpected line" in result.stderr
    assert not (day.output / f"{DATE}.md").exists()
