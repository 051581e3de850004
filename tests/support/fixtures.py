"""The fixture files of the tests. A page that is also a bench page lives once, in bench/fixtures/pages
(built by bench/fixtures/build_pages.py); the tests know it by its own name through ``ALIASES``."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BENCH_PAGES = ROOT / "bench" / "fixtures" / "pages"

# test name (under tests/fixtures) -> the bench page it is
ALIASES = {
    "pages/dup-xinghe-a.html": BENCH_PAGES / "zh01.html",
    "pages/dup-xinghe-b.html": BENCH_PAGES / "zh02.html",
    "pages/chain-footer-div.html": BENCH_PAGES / "zh02.html",
    "pages/dup-xinghe-earnings.html": BENCH_PAGES / "zh03.html",
    "pages/chain-related-inline.html": BENCH_PAGES / "zh18.html",
    "pages/chain-en-footer-div.html": BENCH_PAGES / "en03.html",
}


def fixture_file(root: Path, path: str) -> Path | None:
    """The file served for URL path ``path`` from ``root`` (an alias when root is the fixtures folder)."""
    name = path.lstrip("/")
    if root.resolve() == FIXTURES.resolve() and name in ALIASES:
        return ALIASES[name]
    try:
        file = (root / name).resolve()
        if not file.is_file() or root.resolve() not in file.parents:
            return None
    except OSError:  # a path no file can have (too long, say): the server answers 404 like any other
        return None
    return file


def fixture_bytes(name: str) -> bytes:
    """A fixture file by its name under tests/fixtures (e.g. "pages/zh-1.html")."""
    file = fixture_file(FIXTURES, name)
    if file is None:
        raise FileNotFoundError(FIXTURES / name)
    return file.read_bytes()
