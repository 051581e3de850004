"""The review stage: one day's digest under review, from the run's recorded digest to ``reviewed``. In: the
store's digest (store.StoredDigest) and the draft file edited by hand (digest.parse.ParsedDigest). Out: the
review's state and history in the store (ReviewItem rows), and output/drafts/DATE.md re-rendered after every
change. Publishing it is publish/; the page is web/; a weekly under review is weekly/review.py.

    state      Review: open, operations, commit/save (history)    absorb     hand edits applied to a review
    queue      order, counts, next up, what blocks publishing     evidence   marks and source quotes
    editing    a checked hand edit                                page       the page's context
    listing    `review --list` and `--json`
"""
