"""The day's stories as articles stream in: new story, duplicate, swap while queued, earlier runs' roles."""

from test_dedup import EARNINGS, LAUNCH, REWRITE

from summarizer.trust.dedup import sketch
from summarizer.trust.stories import Stories

A, B, C = "https://a.cn/1", "https://b.cn/2", "https://c.cn/3"
LAUNCH_SK, REWRITE_SK, EARNINGS_SK = (sketch(t, x) for t, x in (("星河智能发布“星图3”", LAUNCH),
                                                                ("星图3来了", REWRITE), ("星河智能三季度财报", EARNINGS)))


def test_first_article_starts_a_story_and_a_copy_joins_it() -> None:
    stories = Stories()
    first = stories.arrive(B, REWRITE_SK, zi=100)
    assert first.new and first.story.kept == B
    first.story.started = True  # its summary is in flight: the kept article is fixed
    copy = stories.arrive(A, LAUNCH_SK, zi=120)
    assert copy.duplicate and copy.story is first.story and first.story.duplicates == [A]
    other = stories.arrive(C, EARNINGS_SK, zi=90)
    assert other.new and other.story.kept == C  # the look-alike is its own story


def test_a_better_copy_takes_the_place_of_one_still_queued() -> None:
    stories = Stories()
    story = stories.arrive(B, REWRITE_SK, zi=100).story
    swap = stories.arrive(A, LAUNCH_SK, zi=120)  # longer, and B has not reached the model yet
    assert swap.replaced == B and not swap.new and not swap.duplicate
    assert story.kept == A and story.duplicates == [B]
    shorter = stories.arrive("https://d.cn/4", LAUNCH_SK, zi=50)
    assert shorter.duplicate and story.kept == A


def test_earlier_runs_keep_their_roles() -> None:
    stories = Stories()
    stories.add_stored(B, title="星图3来了", text=REWRITE, zi=100, summarized=True, duplicate_of=None)
    stories.add_stored(C, title="星河智能发布“星图3”", text=LAUNCH, zi=130, summarized=False, duplicate_of=B)
    story = stories.known(C)
    assert story is not None and story.kept == B and story.started and story.duplicates == [C]
    # A longer copy arriving later does not displace a summary already written: no tokens spent again.
    late = stories.arrive(A, LAUNCH_SK, zi=200)
    assert late.duplicate and story.kept == B
