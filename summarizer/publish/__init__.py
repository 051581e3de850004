"""The publish stage: a reviewed issue goes out. In: a review in ``reviewed`` state (review.state.Review or
a weekly). Out: output/DATE.md, DATE.html, DATE.wechat.html and feed.xml (issue.PublishedIssue read back
from the Markdown, rendered by ``issue`` and ``atom``), and push messages (push/: PushOutcome per target).

    reviewed   check_publishable, publish_reviewed, publish (`summarizer publish`)
    issue      PublishedIssue: read back, HTML pages, JSON      atom   the Atom feed   jsonfeed  the JSON Feed
    reader     what readers see of the checks: each bullet's Passage (a text fragment), the trust line, 更正
    site       index.html, the weekly pages, style.css (every link between pages relative)
    push/      split, formats, targets (one client per API), mail, http, run (what was sent, resume)
"""
