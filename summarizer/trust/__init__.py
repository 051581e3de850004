"""Trust: what a summary may say, checked against its source (pure functions, no I/O).

In: the source text and a model's headline and bullets. Out: problems (trust flags and style notes).
"""
