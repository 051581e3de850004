"""End to end: the CLI over real loopback servers, a real SQLite file and the real openai client."""

import json
import os
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, Reply, SiteServer, canned_summary

from summarizer.cli import cli
from summarizer.jinja import REVIEW_MARKER

GOLDEN = Path(__file__).parent / "golden" / "2026-11-20.md"


def digest(config: Path, *args: str):
    return CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-20", *args])


def test_digest_end_to_end_matches_golden_and_second_run_is_free(tmp_path: Path, site: SiteServer,
                                                                 fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm)
    result = digest(config)
    assert result.exit_code == 0, result.output
    draft = tmp_path / "output" / "drafts" / "2026-11-20.md"
    text = draft.read_text(encoding="utf-8").replace(site.host, "FIXTURE_HOST")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")

    # 6 stories: rss2 3 (en-1 once despite the atom duplicate), atom en-2, gbk zh-gbk, big5; teaser skipped.
    assert len(fake_llm.requests) == 6
    report = result.stderr
    assert "feeds:    4 ok, 0 not modified, 1 failed" in report
    assert "malformed" in report
    assert "6 summarized, 1 skipped, 0 failed" in report
    assert "teaser.html" in report
    assert "sk-test-key-never-logged" not in result.output

    data = json.loads((tmp_path / "output" / "drafts" / "2026-11-20.json").read_text(encoding="utf-8"))
    assert sum(len(s["items"]) for s in data["sections"]) == 6
    assert set(data["highlights"]) <= {i["canonical_url"] for s in data["sections"] for i in s["items"]}

    db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
    statuses = dict(db.execute("SELECT status, COUNT(*) FROM articles GROUP BY status").fetchall())
    assert statuses == {"summarized": 6, "skipped": 1}
    assert db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0] == 6
    assert db.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0] == 6
    method = db.execute("SELECT extract_method FROM articles WHERE url LIKE '%en-2.html'").fetchone()[0]
    assert method == "feed"
    assert db.execute("SELECT last_status FROM feeds WHERE url LIKE '%malformed.xml'").fetchone()[0] == "failed"
    dumped = "\n".join(db.iterdump())
    assert "sk-test-key-never-logged" not in dumped

    pages_before = site.count("/pages/")
    again = digest(config)
    assert again.exit_code == 0, again.output
    assert len(fake_llm.requests) == 6  # no new LLM request
    assert site.count("/pages/") == pages_before  # no page downloaded again
    assert "4 not modified" in again.stderr
    assert draft.read_text(encoding="utf-8").replace(site.host, "FIXTURE_HOST") == GOLDEN.read_text(encoding="utf-8")
    runs = db.execute("SELECT status, input_tokens FROM runs ORDER BY id").fetchall()
    assert runs[0][0] == "ok" and runs[0][1] > 0 and runs[1] == ("ok", 0)


def test_invalid_three_times_completes_the_run_with_that_article_failed(tmp_path: Path, site: SiteServer,
                                                                       fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml", "feeds/rss2.xml"],
                          llm__concurrency=1)
    two_bullets = json.dumps({**canned_summary("x", ["其他"]), "bullets": ["只有两条。", "第二条。"]}, ensure_ascii=False)
    state = {"n": 0}

    def responder(body: dict) -> Reply:
        user = body["messages"][1]["content"]
        if "映川" in user:  # the Big5 story never validates
            return Reply(two_bullets if state.setdefault("n", 0) % 2 else "{not json")
        from servers import default_responder
        return default_responder(body)

    fake_llm.responder = responder
    result = digest(config)
    assert result.exit_code == 0, result.output
    big5_calls = [r for r in fake_llm.requests if "映川" in r["messages"][1]["content"]]
    assert len(big5_calls) == 3
    assert "3 summarized, 0 skipped, 1 failed" in result.stderr
    assert "invalid model output after 3 attempts" in result.stderr
    db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
    status, error = db.execute("SELECT status, error FROM articles WHERE url LIKE '%zh-big5.html'").fetchone()
    assert status == "failed" and "3 attempts" in error

    # The failed article is retried on the next run; the others are not repeated.
    fake_llm.responder = __import__("servers").default_responder
    calls = len(fake_llm.requests)
    rerun = digest(config)
    assert rerun.exit_code == 0
    assert len(fake_llm.requests) == calls + 1


def test_dry_run_makes_no_llm_call(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    result = digest(config, "--dry-run")
    assert result.exit_code == 0, result.output
    assert fake_llm.requests == []
    assert "3 articles, about" in result.stdout
    assert not (tmp_path / "output" / "drafts" / "2026-11-20.md").exists()


def test_nothing_produced_exits_1(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/malformed.xml"])
    result = digest(config)
    assert result.exit_code == 1
    assert "no draft written" in result.stderr


def test_provider_down_fails_each_article_and_exits_1(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], llm__max_retries=0)
    fake_llm.push(Reply(status=500))
    result = digest(config)
    assert result.exit_code == 1
    assert "HTTP 500" in result.stderr and "zh-big5.html" in result.stderr


def test_articles_in_an_earlier_digest_are_not_repeated(tmp_path: Path, site: SiteServer,
                                                        fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], digest__since="all")
    assert digest(config).exit_code == 0
    # Many servers ignore conditional GET: the same feed comes back whole the next day.
    body = (site.root / "feeds" / "big5.xml").read_bytes().replace(b"FIXTURE_HOST", site.host.encode())
    site.overrides["/feeds/big5.xml"] = (200, {"Content-Type": "application/xml"}, body)
    result = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-21"])
    assert result.exit_code == 1  # the only story was in yesterday's issue
    assert "1 seen on an earlier day" in result.stderr
    assert len(fake_llm.requests) == 1


def test_summarize_url_prints_the_item(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm)
    url = site.url("pages/zh-1.html")
    result = CliRunner().invoke(cli, ["summarize", "--config", str(config), url])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("### 澄光智能要点速览")
    assert not any(line.startswith(REVIEW_MARKER) for line in lines)  # a grounded summary carries no flag
    assert "> 要点解析:" in lines
    assert sum(1 for line in lines if line.startswith("- ")) == 3
    assert lines[-1] == f"原文链接:[{url}]({url})"
    as_json = CliRunner().invoke(cli, ["summarize", "--config", str(config), "--json", url])
    assert json.loads(as_json.stdout)["url"] == url
    assert len(fake_llm.requests) == 1  # the second call was served from the cache


def test_summarize_bad_url_is_one_line_error(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm)
    url = site.url("pages/missing.html")
    result = CliRunner().invoke(cli, ["summarize", "--config", str(config), url])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == f"error: {url}: HTTP 404 (not found)"


def test_planted_faults_are_reasked_then_flagged_in_the_draft_and_counted(tmp_path: Path, site: SiteServer,
                                                                        fake_llm: FakeOpenAI) -> None:
    from servers import default_responder, prompt_article

    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])

    def responder(body: dict) -> Reply:
        reply = json.loads(default_responder(body).content or "{}")
        title, _ = prompt_article(body)
        if "澄光" in title:  # zh-1: a name the page never mentions and a quote it does not contain, every time
            reply["bullets"][0] = reply["bullets"][0].replace("发布方是谁", "发布方Anthropic是谁")
            reply["quotes"][1] = "小澄获得了国家级大奖"
        return Reply(json.dumps(reply, ensure_ascii=False))

    fake_llm.responder = responder
    result = digest(config)
    assert result.exit_code == 0, result.output
    zh1 = [r for r in fake_llm.requests if "澄光" in r["messages"][1]["content"]]
    assert len(zh1) == 2 and len(fake_llm.requests) == 4  # one re-ask for the faulty item only
    assert "名称“Anthropic”在原文中找不到" in zh1[1]["messages"][-1]["content"]
    assert "checks:   1 flagged items, 1 unsupported claims, 1 re-asks; quotes 8/9 found" in result.stderr

    draft = (tmp_path / "output" / "drafts" / "2026-11-20.md").read_text(encoding="utf-8")
    item = draft[draft.index("### 澄光智能"):]
    item = item[: item.index("原文链接")]
    assert item.endswith(
        f"{REVIEW_MARKER}: 第1条要点：名称“Anthropic”在原文中找不到\n\n"
        f"{REVIEW_MARKER}: 第2条要点：引文“小澄获得了国家级大奖”在原文中找不到\n\n"
    )
    assert draft.count(REVIEW_MARKER) == 2
    assert "小澄获得了国家级大奖" not in draft.replace(f"{REVIEW_MARKER}: 第2条要点：引文“小澄获得了国家级大奖”", "")
    data = json.loads((tmp_path / "output" / "drafts" / "2026-11-20.json").read_text(encoding="utf-8"))
    flags = {i["canonical_url"].rsplit("/", 1)[-1]: i["flags"] for s in data["sections"] for i in s["items"]}
    assert flags["zh-1.html"] and not flags["zh-2.html"]

    db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
    stored = json.loads(db.execute("SELECT s.json FROM summaries s WHERE canonical_url LIKE '%zh-1.html'").fetchone()[0])
    assert stored["quotes"][1] == "小澄获得了国家级大奖"
    assert stored["checks"]["unsupported_claims"] == 1 and len(stored["checks"]["flags"]) == 2
    report = json.loads(db.execute("SELECT report FROM runs ORDER BY id DESC").fetchone()[0])
    assert (report["flagged_items"], report["unsupported_claims"], report["check_reasks"]) == (1, 1, 1)
    assert report["full_coverage_items"] == 2

    # The next run takes every summary from the cache and still shows the flags.
    again = digest(config)
    assert again.exit_code == 0 and len(fake_llm.requests) == 4
    assert "1 flagged items, 1 unsupported claims, 0 re-asks" in again.stderr
    assert (tmp_path / "output" / "drafts" / "2026-11-20.md").read_text(encoding="utf-8").count(REVIEW_MARKER) == 2


def test_summarize_url_shows_flags_and_check_counts(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    from servers import default_responder

    def responder(body: dict) -> Reply:
        reply = json.loads(default_responder(body).content or "{}")
        reply["bullets"][2] = reply["bullets"][2].replace("时间表", "2099年时间表")  # a year the page never gives
        return Reply(json.dumps(reply, ensure_ascii=False))

    fake_llm.responder = responder
    config = write_config(tmp_path, site, fake_llm)
    url = site.url("pages/zh-1.html")
    result = CliRunner().invoke(cli, ["summarize", "--config", str(config), url])
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == 2  # the re-ask, then the flag
    lines = result.stdout.splitlines()
    flag = f"{REVIEW_MARKER}: 第3条要点：数字“2099”在原文中找不到"
    assert lines.index(flag) < lines.index(f"原文链接:[{url}]({url})")
    assert lines.index(flag) > max(i for i, line in enumerate(lines) if line.startswith("- "))
    assert "checks:   1 flagged items, 1 unsupported claims, 1 re-asks; quotes 3/3 found" in result.stderr
    as_json = json.loads(CliRunner().invoke(cli, ["summarize", "--config", str(config), "--json", url]).stdout)
    assert as_json["flags"] == ["第3条要点：数字“2099”在原文中找不到"]
    assert len(as_json["quotes"]) == 3


def test_changing_a_check_setting_resummarizes_and_disabling_hides_the_checks_line(
        tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"])
    assert digest(config).exit_code == 0 and len(fake_llm.requests) == 1
    assert digest(config).exit_code == 0 and len(fake_llm.requests) == 1  # cached
    changed = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], checks__copy_max_chars=40)
    assert digest(changed).exit_code == 0 and len(fake_llm.requests) == 2  # the cache key changed
    off = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], checks__enabled=False)
    result = digest(off)
    assert result.exit_code == 0 and len(fake_llm.requests) == 3
    assert "checks:" not in result.stderr
