"""The trust stage: what a summary may be trusted with, and which articles are one story. In: an article's
text (checks.Source) and its Summary; the day's article texts. Out: CheckResult (the Problems of a summary:
numbers, names, quotes, copies), and Stories (dedup sketches -> one item per story). Imports no model code.

    checks     a Summary against its source -> CheckResult     salience   the day's distinctive terms
    dedup      sketches and story groups                       stories    the day's stories as articles arrive
"""
