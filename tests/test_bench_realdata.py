"""bench/realdata.py reads each realdata set's gold as its source defines it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from realdata import split_dragnet_gold  # noqa: E402


def test_dragnet_gold_is_split_at_its_comments_marker() -> None:
    # dragnet's gold is the article, a marker line, then the reader comments; the digest's task is the
    # article. Some gold files lost the marker's digits and parentheses.
    for marker in ("!@#$%^&*()  COMMENTS", "!@#$%^&*   COMMENTS", "!@#$%^&*()  \tCOMMENTS"):
        gold = f"Headline\nThe article's text.\n\n\n{marker}\n\n\nby reader1 on Monday\nFirst!\n"
        assert split_dragnet_gold(gold) == ("Headline\nThe article's text.", "by reader1 on Monday\nFirst!")
    assert split_dragnet_gold("Only an article, no COMMENTS marker line.\n") == (
        "Only an article, no COMMENTS marker line.", "")
