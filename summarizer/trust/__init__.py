"""The trust stage: what a summary may be trusted with, and which articles are one story. In: an article's
text (checks.Source) and its Summary; the day's article texts. Out: CheckResult (the Problems of a summary:
numbers, magnitudes, names, English words, quotes; trust flags apart from style notes), and
Stories (dedup sketches -> one item per story). Imports no model code.

    checks     a Summary against its source -> CheckResult     salience   the day's distinctive terms
    magnitudes English figures in Chinese (3.1亿美元)          latin      the Latin words a summary keeps
    dedup      sketches and story groups                       stories    the day's stories as articles arrive
"""
