"""review / publish end to end with CliRunner: listing, approving, dropping, refusals, publishing, idempotence."""

import json
import sqlite3
from pathlib import Path

import feedparser
import pytest
from reviewing import DATE, draft_items, invoke, make_draft
from servers import FakeOpenAI, SiteServer

from summarizer.digest.parse import parse_digest
from summarizer.jinja import REVIEW_MARKER
from summarizer.review.state import Review
from summarizer.store import Store

FLAG = "数字“42%”在原文中找不到"


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.glob("*")) if p.is_file()}


def test_review_list_drop_approve_then_publish(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm, flags={1: [FLAG]})
    items = draft_items(day)
    listed = invoke(day, "review", DATE, "--list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("原文 1682字")
    assert lines[1].split() == ["#", "status", "section", "headline", "/", "URL", "/", "flags"]
    assert lines[2].split()[:3] == ["1", "pending", "产品介绍"]
    assert lines[3].strip() == items[0]["links"][0]  # each item's URL under its headline
    assert f"⚠️ {FLAG}" in listed.stdout
    assert lines[-1] == f"{DATE}: draft"

    refused = invoke(day, "publish", DATE)
    assert refused.exit_code == 1
    assert "not reviewed (items 1, 2, 3, 4 not approved)" in refused.stderr

    dropped = invoke(day, "review", DATE, "--drop", "4")
    assert dropped.exit_code == 0 and "dropped item 4" in dropped.stdout
    approved = invoke(day, "review", DATE, "--approve-all")
    assert "approved 3 items" in approved.stdout and approved.stdout.strip().endswith(f"{DATE}: reviewed")

    flagged = invoke(day, "publish", DATE)
    assert flagged.exit_code == 1
    assert f"unacknowledged trust flags (item 2: {FLAG})" in flagged.stderr
    assert not (day.output / f"{DATE}.md").exists()

    published = invoke(day, "publish", DATE, "--ack", "2")
    assert published.exit_code == 0, published.output
    assert ("updated 2026-11-20.md, 2026-11-20.html, 2026-11-20.wechat.html, feed.xml, feed.json, index.md, "
            "index.html, style.css"
            in published.stdout)
    issue = (day.output / f"{DATE}.md").read_text(encoding="utf-8")
    assert REVIEW_MARKER not in issue and FLAG not in issue
    parsed = parse_digest(issue, sections=day.settings.digest.section_names)
    assert [i.headline for i in parsed.items] == [i["headline"] for i in items[:3]]
    assert items[3]["headline"] not in issue and items[3]["links"][0] not in issue
    assert f"{REVIEW_MARKER}: {FLAG}" not in issue
    assert "待核实" not in issue
    assert issue.startswith("## 目的\n")

    feed = feedparser.parse((day.output / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "简读·AI日报"
    assert [e.title for e in feed.entries] == [f"简读·AI日报 {DATE}"]
    content = feed.entries[0].content[0].value
    assert all(i["headline"] in content for i in items[:3]) and items[3]["headline"] not in content
    assert feed.entries[0].links[0].href == f"{DATE}.html"  # relative: no publish.base_url in this config
    index = (day.output / "index.md").read_text(encoding="utf-8")
    assert f"- [{DATE}]({DATE}.md) · 3条 · {items[0]['headline']} {items[0]['emoji']}" in index

    before = _snapshot(day.output)
    history = sqlite3.connect(day.settings.database_path).execute("SELECT COUNT(*) FROM review_history").fetchone()
    again = invoke(day, "publish", DATE)
    assert again.exit_code == 0 and "already published, nothing changed" in again.stdout
    assert _snapshot(day.output) == before
    assert sqlite3.connect(day.settings.database_path).execute(
        "SELECT COUNT(*) FROM review_history").fetchone() == history
    assert invoke(day, "review", DATE, "--list").stdout.strip().endswith(f"{DATE}: published")


def test_review_list_json_and_publish_defaults_to_the_newest_draft(tmp_path: Path, site: SiteServer,
                                                                    fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm, flags={1: [FLAG]})
    listed = invoke(day, "review", "--json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert data["date"] == DATE and data["state"] == "draft" and data["stats"]["source_zi"] == 1682
    assert [i["id"] for i in data["items"]] == [1, 2, 3, 4]
    assert data["items"][1]["flags"] == [FLAG] and data["items"][1]["unresolved"] == [FLAG]
    assert data["items"][1]["problems"] == [{"kind": "number", "message": FLAG, "bullet": None, "term": "42%",
                                             "acknowledged": False, "trust": True}]
    assert data["items"][1]["notes"] == []
    assert data["items"][0]["links"] == draft_items(day)[0]["links"]
    # Items listed out of digest order (item 1 moved to the last section) are still named by number.
    with Store(day.settings.database_path) as store:
        Review.open(store, day.settings, DATE).move(1, "其他")
    refused = invoke(day, "publish")  # no DATE: the newest draft, as `review` does
    assert refused.exit_code == 1 and "not reviewed (items 1, 2, 3, 4 not approved)" in refused.stderr
    invoke(day, "review", "--approve-all")
    refused = invoke(day, "publish")
    assert f"unacknowledged trust flags (item 2: {FLAG})" in refused.stderr
    published = invoke(day, "publish", "--ack", "2")
    assert published.exit_code == 0 and f"published {day.output / DATE}.md" in published.stdout


def test_publish_force_skips_approval_but_not_flags(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm, flags={0: [FLAG, "“Anthropic”在原文中找不到"]})
    forced = invoke(day, "publish", DATE, "--force")
    assert forced.exit_code == 1 and "item 1: " in forced.stderr and "(+1)" in forced.stderr
    ok = invoke(day, "publish", DATE, "--force", "--ack", "1")
    assert ok.exit_code == 0, ok.output
    assert len(parse_digest((day.output / f"{DATE}.md").read_text(encoding="utf-8")).items) == 4


def test_published_issue_changes_when_edited_and_republished(tmp_path: Path, site: SiteServer,
                                                             fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    invoke(day, "review", DATE, "--approve-all")
    assert invoke(day, "publish", DATE).exit_code == 0
    first_feed = (day.output / "feed.xml").read_text(encoding="utf-8")
    first = draft_items(day)[0]["headline"]
    text = day.draft_md.read_text(encoding="utf-8").replace(first, "发布后更正的标题")
    day.draft_md.write_text(text, encoding="utf-8")
    # An edit after publishing is absorbed; the approvals stand, so it can be published again.
    assert invoke(day, "publish", DATE).exit_code == 0
    issue = (day.output / f"{DATE}.md").read_text(encoding="utf-8")
    headlines = [item.headline for item in parse_digest(issue).items]
    assert "发布后更正的标题" in headlines and first not in headlines
    assert (day.output / "feed.xml").read_text(encoding="utf-8") != first_feed


def test_review_without_a_draft_is_one_line_error(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    result = invoke(day, "review", "2026-01-01", "--list")
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: {day.settings.database_path}: no digest for 2026-01-01 "
                                     "(run `summarizer digest --date 2026-01-01` first)")
    assert invoke(day, "review", "--drop", "99").stderr.strip().startswith(f"error: {DATE}: no item '99'")


def test_review_serves_the_page_on_loopback_with_a_token(tmp_path: Path, site: SiteServer,
                                                          fake_llm: FakeOpenAI) -> None:
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    day = make_draft(tmp_path, site, fake_llm)
    proc = subprocess.Popen([sys.executable, "-m", "summarizer", "review", DATE, "--config", str(day.config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(f"review {DATE} at http://127.0.0.1:"), line + (proc.stderr.read() if proc.stderr else "")
        url = line.split(" at ", 1)[1].split()[0]
        assert "?token=" in url and len(url.split("?token=")[1]) >= 32
        with urllib.request.urlopen(url, timeout=30) as response:
            page = response.read().decode("utf-8")
            assert response.status == 200 and all(i["headline"] in page for i in draft_items(day))
        try:
            urllib.request.urlopen(url.split("?")[0], timeout=30)
            raise AssertionError("the page answered without its token")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def regbk(path: Path) -> str:
    """Save ``path`` as an editor set to GB18030 would; the line `review` must print about it."""
    data = path.read_text(encoding="utf-8").encode("gb18030")
    path.write_bytes(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start:exc.start + 1].hex()
        return (f"error: {path}: not UTF-8 text (byte 0x{byte} at offset {exc.start}); "
                "save the file as UTF-8 and run again")
    raise AssertionError("GB18030 text that reads as UTF-8")


@pytest.mark.parametrize("command", [["review", DATE, "--list"], ["publish", DATE, "--force"]])
def test_a_draft_saved_in_another_encoding_is_one_line(command: list[str], tmp_path: Path, site: SiteServer,
                                                       fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    assert invoke(day, "review", DATE, "--list").exit_code == 0  # imported: from now on edits are read back
    line = regbk(day.draft_md)
    result = invoke(day, *command)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [line]
    assert not (day.output / f"{DATE}.md").exists()
