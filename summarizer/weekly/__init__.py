"""The weekly digest, all of it. In: the published daily issues of a week (store reviews in ``published``
state). Out: a weekly under review (review.WeeklyReview, key weekly-YYYY-Www, or weekly-YYYY-Www-issue for
the issue format) and its draft (output/drafts/KEY.md), published like a daily by publish.

    select     published items -> DailyItem -> Candidate stories, ranked
    prose      the model's title, paragraph and teaser (Prose), checked by trust.checks
    render     WeeklyIssue -> Markdown (numbered or issue format), and a draft read back
    review     WeeklyReview, save_weekly, and open_review (the weekly or the daily review of a key)
    run        `summarizer weekly`: select -> prose -> review
"""
