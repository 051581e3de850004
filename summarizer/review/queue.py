"""The review page as an editor's queue: what needs a decision first, counts, readable history, local times.

Pure functions over a ``Review``; the page (app.py, review.html.j2) and nothing else uses them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..store import HistoryEntry
from .state import APPROVED, DROPPED, PENDING, Review, ReviewItem

FLAGGED = "flagged"  # a filter, not a status: live items with unacknowledged trust flags
FILTERS = {"all": "全部", FLAGGED: "待核", PENDING: "待审", APPROVED: "已批准", DROPPED: "已删除"}
STATUS_LABELS = {PENDING: "待审", APPROVED: "已批准", DROPPED: "已删除"}
STATE_LABELS = {"draft": "草稿", "reviewed": "已审阅", "published": "已发布"}


def rank(item: ReviewItem) -> int:
    """0: flagged (needs checking), 1: not yet reviewed, 2: approved, 3: dropped."""
    if item.status == DROPPED:
        return 3
    if item.unresolved:
        return 0
    return 1 if item.status == PENDING else 2


def queue(review: Review, show: str = "all") -> list[ReviewItem]:
    """Items in the order an editor decides them: flagged, then unreviewed, then approved, then dropped;
    digest order inside each group. ``show`` keeps one group (FILTERS)."""
    ordered = sorted([*review.live(), *review.dropped()], key=rank)  # stable: digest order within a group
    if show == FLAGGED:
        return [i for i in ordered if rank(i) == 0]
    if show in (PENDING, APPROVED, DROPPED):
        return [i for i in ordered if i.status == show]
    return ordered


@dataclass(frozen=True)
class Counts:
    live: int
    approved: int
    flagged: int
    pending: int
    dropped: int

    @property
    def line(self) -> str:
        return (f"{self.approved}/{self.live} 已批准，{self.flagged} 条待核，"
                f"{self.pending} 条待审，{self.dropped} 条已删除")


def counts(review: Review) -> Counts:
    live = review.live()
    return Counts(live=len(live), approved=sum(1 for i in live if i.status == APPROVED),
                  flagged=sum(1 for i in live if i.unresolved),
                  pending=sum(1 for i in live if i.status == PENDING), dropped=len(review.dropped()))


def next_up(review: Review, done: int) -> int | None:
    """After deciding item ``done``: the top of the queue among items not yet approved (flagged ones first);
    then approved items whose flags are still open. The item just decided comes last: the editor moves on."""
    ordered = queue(review)
    waiting = [i.id for i in ordered if i.status == PENDING and i.id != done]
    open_flags = [i.id for i in ordered if i.status == APPROVED and i.unresolved and i.id != done]
    rest = [done] if rank(review.items[done]) < 2 else []
    return next(iter(waiting + open_flags + rest), None)


def publish_blockers(review: Review) -> list[str]:
    """What keeps the page from publishing, by item number, in Chinese (the rule is check_publishable)."""
    live = sorted(review.live(), key=lambda i: i.id)
    problems = []
    pending = [f"#{i.id}" for i in live if i.status == PENDING]
    if not live:
        problems.append("没有保留的条目")
    if pending:
        problems.append(f"{'、'.join(pending)} 未批准")
    flagged = [f"#{i.id}" for i in live if i.unresolved]
    if flagged:
        problems.append(f"{'、'.join(flagged)} 有待核实的问题未确认"
                        "（在发布表单里勾选“已核实”，或在条目上按“已核实”）")
    return problems


def local_time(at: str | None, tz: ZoneInfo) -> str:
    """An ISO time from the store (UTC) as the editor's local time: 2026-11-20 18:03."""
    if not at:
        return ""
    try:
        return datetime.fromisoformat(at).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at


def _short(value: str | None, limit: int = 40) -> str:
    text = value or ""
    try:
        decoded = json.loads(text)
        if isinstance(decoded, list):
            text = "；".join(str(v) for v in decoded) or "无"
    except ValueError:
        pass
    return text if len(text) <= limit else text[: limit - 1] + "…"


_FIELD_LABELS = {"headline": "标题", "emoji": "emoji", "bullets": "要点", "section": "分类",
                 "importance": "重要度"}


def _item_line(entry: HistoryEntry) -> str | None:
    what, old, new = entry.what, entry.old, entry.new
    if what == "status":
        return {APPROVED: "批准", DROPPED: "删除"}.get(new or "", "撤销批准" if old == APPROVED else "恢复")
    if what in _FIELD_LABELS:
        return f"改了{_FIELD_LABELS[what]}：{_short(old)} → {_short(new)}"
    if what == "highlight":
        return "取消看点" if new == "0" else ("设为看点" if old == "0" else None)
    if what == "acked":
        return "确认已核实待核问题" if new not in ("[]", None) else None
    if what == "flags":
        return f"重新检查，待核问题：{_short(new, 80)}"
    if what == "regenerate":
        return "重新生成"
    if what == "added by a new digest run":
        return "新一次生成加入了这一条"
    return None  # position changes come with a move or a reorder: not worth a line


_DAY_LINES = {"import": "导入草稿", "editor": "读入在编辑器里改过的草稿文件",
              "new digest run": "读入新一次生成的草稿", "reopen": "重新打开已发布的一期以便修改"}


def history_line(entry: HistoryEntry, tz: ZoneInfo) -> str | None:
    """One history entry as a sentence with a local time; None for bookkeeping an editor need not read."""
    if entry.item_id is not None:
        text = _item_line(entry)
        if text is None:
            return None
        text = f"#{entry.item_id} {text}"
    elif entry.what == "state":
        old, new = (STATE_LABELS.get(v or "", v) for v in (entry.old, entry.new))
        text = f"状态：{old} → {new}"
    else:
        text = _DAY_LINES.get(entry.what, entry.what)
    return f"{local_time(entry.at, tz)} · {text}"


def history_lines(entries: list[HistoryEntry], tz: ZoneInfo, limit: int = 20) -> list[str]:
    """The newest ``limit`` readable lines, newest first."""
    lines = [line for line in (history_line(e, tz) for e in reversed(entries)) if line]
    return lines[:limit]
