"""The feed loader on real third-party feeds: crashes, hangs, rejections and encodings.

    python bench/feeds_realdata.py [--realdata DIR] [--timeout 30] [--verbose]

Runs ``feeds.parse_feed`` over ``feedparser-tests/`` (feedparser's conformance
suite) and ``rssant-feeds/`` (real Chinese feeds) from the shared realdata
folder (``<repo>/../shared/realdata`` or ``$JIANDU_REALDATA``), each file in a
worker process with a timeout, and prints:

- crashed (any exception but FeedError) and hung (past --timeout): both must be 0;
- rssant ``parser/well`` and ``parser/warn``: parsed with at least one entry;
- rssant ``parser/failed``: rejected (FeedError), or valid but empty ("the feed has no items"),
  with one line each;
- encodings right: files whose expected charset is known (rssant ``encoding/``
  names it in the file name; feedparser's ``Expect: encoding == '...'`` and
  rssant's copies of those) decoded in that charset;
- parsed / rejected counts per folder.

HTTP headers a feedparser test declares (``Header: Content-type: ...``) are
passed as the response's content type, as a server would send them.
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.errors import FeedError  # noqa: E402
from summarizer.sources.feeds import parse_feed  # noqa: E402

SETS = ("feedparser-tests", "rssant-feeds")
_HEADER = re.compile(rb"^Header:\s*Content-type:\s*(.+?)\s*$", re.I | re.M)
_EXPECT_ENCODING = re.compile(rb"^Expect:.*\bencoding\s*==\s*'([^']+)'", re.M)
_SKIP = {"LICENSE", "README.md", "README"}


@dataclass
class Outcome:
    path: str
    kind: str  # parsed (with entries) | empty (valid, no entry) | rejected (FeedError) | crashed | hung
    entries: int = 0
    encoding: str = ""
    message: str = ""


def realdata_dir(given: str | None = None) -> Path:
    return Path(given or os.environ.get("JIANDU_REALDATA") or ROOT.parent / "shared" / "realdata")


def feed_files(realdata: Path) -> list[Path]:
    return sorted(
        p
        for name in SETS
        for p in (realdata / name).rglob("*")
        if p.is_file() and p.name not in _SKIP and not p.name.startswith(".")
    )


def load_one(path: str) -> Outcome:
    """Parse one file as the pipeline would (in a worker process)."""
    data = Path(path).read_bytes()
    header = _HEADER.search(data[:2000])
    content_type = header.group(1).decode("latin-1") if header else ""
    try:
        parsed = parse_feed(
            data, feed_url=Path(path).as_uri(), feed_name=Path(path).name, content_type=content_type
        )
    except FeedError as exc:
        return Outcome(path, "rejected", message=str(exc))
    except BaseException as exc:  # noqa: BLE001 - what the bench counts
        return Outcome(path, "crashed", message=f"{type(exc).__name__}: {exc}")
    kind = "parsed" if parsed.entries else "empty"
    message = "" if parsed.entries else f"feed {Path(path).name}: the feed has no items"
    return Outcome(path, kind, len(parsed.entries), parsed.encoding, message)


def expected_encodings(path: Path) -> set[str] | None:
    """The charsets a file should be read in, when the set says (None: it does not)."""
    parts = path.parts
    if "rssant-feeds" in parts and "chardet" in parts:
        names = path.name.split(".")[0].split(":")
        return {_canon(n) for n in names}
    if "rssant-feeds" in parts and "mixed" in parts:
        # rssant put Chinese text under feedparser's labels: both labels are wrong, the bytes decide.
        data = path.read_bytes()
        return {next(_canon(c) for c in ("utf-8", "gb18030", "big5") if _decodes(data, c))}
    head = path.read_bytes()[:2000]
    match = _EXPECT_ENCODING.search(head)
    return {_canon(match.group(1).decode())} if match else None


def _decodes(data: bytes, charset: str) -> bool:
    try:
        data.decode(charset)
        return True
    except UnicodeDecodeError:
        return False


def _canon(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


# Supersets a decoder may rightly pick: GB18030 reads GBK and GB2312 text alike, CP949 reads EUC-KR.
_SUPERSETS = {"gb18030": {"gbk", "gb2312"}, "gbk": {"gb2312"}, "cp949": {"euc_kr"}, "cp1252": {"iso8859-1"}}


def encoding_right(found: str, expected: set[str]) -> bool:
    found = _canon(found) if found else ""
    return found in expected or bool(_SUPERSETS.get(found, set()) & expected)


def run(realdata: Path, timeout: float) -> list[Outcome]:
    files = feed_files(realdata)
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(max(1, min(2, os.cpu_count() or 1))) as pool:
        futures = {str(p): pool.submit(load_one, str(p)) for p in files}
        for path, future in futures.items():
            try:
                outcomes.append(future.result(timeout=timeout))
            except FutureTimeout:
                outcomes.append(Outcome(path, "hung"))
        for process in list(getattr(pool, "_processes", {}).values()):
            if any(o.kind == "hung" for o in outcomes):
                process.kill()  # a hung parse would keep the pool from shutting down
    return outcomes


@dataclass
class Summary:
    counts: Counter[str]
    crashed: list[Outcome]
    hung: list[Outcome]
    well_without_entries: list[Outcome]
    failed_accepted: list[Outcome]
    multi_line_rejections: list[Outcome]
    encodings_right: int
    encodings_total: int
    encodings_wrong: list[tuple[Outcome, set[str]]]


def _under(o: Outcome, *folders: str) -> bool:
    return any(f"/rssant-feeds/{folder}/" in o.path for folder in folders)


def _encodings(outcomes: list[Outcome]) -> tuple[int, int, list[tuple[Outcome, set[str]]]]:
    """(right, total, wrong) of the encodings guessed for the files whose encoding is known."""
    wrong: list[tuple[Outcome, set[str]]] = []
    right = total = 0
    for outcome in outcomes:
        expected = expected_encodings(Path(outcome.path)) if outcome.kind != "crashed" else None
        if expected is None:
            continue
        total += 1
        if encoding_right(outcome.encoding, expected):
            right += 1
        else:
            wrong.append((outcome, expected))
    return right, total, wrong


def summarize(outcomes: list[Outcome]) -> Summary:
    under = _under
    right, total, wrong = _encodings(outcomes)
    return Summary(
        counts=Counter(o.kind for o in outcomes),
        crashed=[o for o in outcomes if o.kind == "crashed"],
        hung=[o for o in outcomes if o.kind == "hung"],
        well_without_entries=[
            o for o in outcomes if under(o, "parser/well", "parser/warn") and not o.entries
        ],
        failed_accepted=[
            o for o in outcomes if under(o, "parser/failed") and o.kind not in ("rejected", "empty")
        ],
        multi_line_rejections=[o for o in outcomes if o.kind in ("rejected", "empty") and "\n" in o.message],
        encodings_right=right,
        encodings_total=total,
        encodings_wrong=wrong,
    )


def _folder(path: str) -> str:
    for name in SETS:
        if f"/{name}/" in path:
            rest = path.split(f"/{name}/", 1)[1].split("/")
            return f"{name}/{'/'.join(rest[:2] if name == 'rssant-feeds' and len(rest) > 2 else rest[:1])}"
    return "?"


def report(outcomes: list[Outcome], summary: Summary, *, verbose: bool) -> None:
    by_folder: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        by_folder.setdefault(_folder(outcome.path), Counter())[outcome.kind] += 1
    kinds = ("parsed", "empty", "rejected", "crashed", "hung")
    print(f"{len(outcomes)} files: " + ", ".join(f"{summary.counts[k]} {k}" for k in kinds))
    for folder, counts in sorted(by_folder.items()):
        print(f"  {folder:<40} " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    print(f"rssant parser/well+warn without entries: {len(summary.well_without_entries)}")
    print(f"rssant parser/failed not rejected: {len(summary.failed_accepted)}")
    print(f"rejections longer than one line: {len(summary.multi_line_rejections)}")
    print(f"encodings right: {summary.encodings_right}/{summary.encodings_total}")
    problems = [*summary.crashed, *summary.hung, *summary.well_without_entries, *summary.failed_accepted]
    for outcome in problems:
        print(f"  ! {outcome.kind}: {outcome.path}: {outcome.message[:160]}")
    for outcome, expected in summary.encodings_wrong:
        print(
            f"  ! encoding {outcome.encoding or '?'} (expected {'/'.join(sorted(expected))}): {outcome.path}"
        )
    if verbose:
        for outcome in outcomes:
            if outcome.kind in ("rejected", "empty") and "/rssant-feeds/parser/failed/" in outcome.path:
                print(f"  rejected: {outcome.message}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", help="the shared realdata folder (default: ../shared/realdata)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a file counts as hung")
    parser.add_argument("--verbose", action="store_true", help="print each rejection line")
    args = parser.parse_args()
    realdata = realdata_dir(args.realdata)
    if not all((realdata / name).is_dir() for name in SETS):
        print(f"{realdata}: no {' or '.join(SETS)} here; nothing to measure")
        return 0
    outcomes = run(realdata, args.timeout)
    summary = summarize(outcomes)
    report(outcomes, summary, verbose=args.verbose)
    bad = summary.crashed or summary.hung or summary.well_without_entries or summary.failed_accepted
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
