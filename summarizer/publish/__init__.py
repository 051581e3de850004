"""The publish stage: a reviewed issue goes out. In: a review in ``reviewed`` state (review.state.Review or
a weekly). Out: output/DATE.md, DATE.html, DATE.wechat.html and feed.xml (issue.PublishedIssue read back
from the Markdown, rendered by ``issue`` and ``atom``), and push messages (push/: PushOutcome per target).

    reviewed   check_publishable, publish_reviewed, publish (`summarizer publish`)
    issue      PublishedIssue: read back, HTML pages, JSON      atom   the Atom feed
    push/      split, formats, targets (one client per API), mail, http, run (what was sent, resume)
"""
