"""Selection: the importance floor (a slow day is a short issue) and 热度, the feeds that carried a story."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, SiteServer

from summarizer.cli import cli
from summarizer.config import DigestSettings, load_settings
from summarizer.digest.build import DigestItem, build_digest
from summarizer.digest.parse import parse_digest
from summarizer.digest.render import render_markdown
from summarizer.store import Store

BULLET = ("这家公司发布了新的模型与工具，说明了面向的用户、解决的问题和定价方式，"
          "并与同类方案逐项比较，指出改进之处与代价。")


def item(name: str, importance: int, sources: int = 1, section: str = "产品介绍") -> DigestItem:
    return DigestItem(
        canonical_url=f"https://x.example/{name}",
        headline=f"{name}发布新模型",
        emoji="🚀",
        section=section,
        bullets=[BULLET] * 3,
        importance=importance,
        links=[f"https://x.example/{name}"],
        source="feed",
        source_title=name,
        source_zi=500,
        sources=sources,
    )


def test_items_under_the_floor_are_left_out_and_counted() -> None:
    items = [item("甲", 9), item("乙", 4), item("丙", 6), item("丁", 2)]
    digest = build_digest(items, DigestSettings(min_importance=5), date="2026-11-20")
    assert [i.headline for i in digest.items] == ["甲发布新模型", "丙发布新模型"]
    assert sorted(i.headline for i in digest.below_importance) == ["丁发布新模型", "乙发布新模型"]
    assert digest.stats.source_zi == 1000  # the stats line counts only what is in the issue
    everything = build_digest(items, DigestSettings(), date="2026-11-20")
    assert len(everything.items) == 4 and everything.below_importance == []


def test_a_story_more_feeds_carried_ranks_higher_in_kandian() -> None:
    items = [item("甲", 8), item("乙", 7, sources=3), item("丙", 8, sources=2), item("丁", 10)]
    digest = build_digest(items, DigestSettings(highlights=4), date="2026-11-20")
    # 丁 10; 乙 7+2 (three feeds); 丙 8+1; 甲 8: 热度 breaks ties and lifts a widely carried story.
    assert [h.headline[:1] for h in digest.highlights] == ["丁", "乙", "丙", "甲"]
    # Sections keep the importance order the model gave.
    assert [i.headline[:1] for i in digest.items] == ["丁", "丙", "甲", "乙"]


def test_the_sources_line_renders_only_above_one_and_reads_back() -> None:
    digest = build_digest([item("甲", 8, sources=3), item("乙", 7)], DigestSettings(), date="2026-11-20")
    text = render_markdown(digest)
    assert text.count("热度:") == 1 and "\n热度:3个来源\n\n原文链接:[https://x.example/%E7%94%B2]" in text
    parsed = parse_digest(text)
    assert [i.sources for i in parsed.items] == [3, 1]


def test_the_run_report_says_how_many_fell_under_the_floor(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    config = write_config(
        tmp_path,
        site,
        fake_llm,
        digest={"timezone": "UTC", "since": "24h", "min_article_chars": 150, "min_importance": 6},
    )
    result = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-20", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    kept = json.loads((tmp_path / "output" / "drafts" / "2026-11-20.json").read_text(encoding="utf-8"))
    importances = [i["importance"] for s in kept["sections"] for i in s["items"]]
    assert importances and min(importances) >= 6
    assert report["items_below_importance"] > 0
    assert report["items_in_digest"] + report["items_below_importance"] == 6
    text = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-20"])
    assert (
        f"selected: {report['items_below_importance']} items below digest.min_importance left out"
        in text.stderr
    )


def test_the_sources_count_survives_the_hand_over_to_review_and_publish(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    # The golden feeds: two of them list the Larkspur story. The count must travel run -> store (the
    # recorded digest) -> review -> the published issue, not only reach the draft file.
    config = write_config(tmp_path, site, fake_llm)
    run = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-20"])
    assert run.exit_code == 0, run.output
    (tmp_path / "output" / "drafts" / "2026-11-20.md").unlink()  # review reads the store, not the files
    (tmp_path / "output" / "drafts" / "2026-11-20.json").unlink()
    with Store(load_settings(config).database_path) as store:
        recorded = store.digest("2026-11-20")
        assert recorded is not None
        assert {i.headline: i.sources for i in recorded.items if i.sources > 1} == {"Larkspur要点速览": 2}
    for args in (["review", "2026-11-20", "--approve-all"], ["publish", "2026-11-20", "--force", "--no-push"]):
        result = CliRunner().invoke(cli, [args[0], "--config", str(config), *args[1:]])
        assert result.exit_code == 0, result.output
    issue = (tmp_path / "output" / "2026-11-20.md").read_text(encoding="utf-8")
    assert issue.count("热度:2个来源") == 1
    assert [i.sources for i in parse_digest(issue).items if i.headline == "Larkspur要点速览"] == [2]
    assert "热度:2个来源" in (tmp_path / "output" / "2026-11-20.html").read_text(encoding="utf-8")
