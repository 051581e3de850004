"""The review page (starlette), on 127.0.0.1 with a token. In: HTTP requests of a reviewer. Out: changes to a
review (review.state / weekly.review) and a publish (publish.reviewed); regenerate asks the model again
through pipeline.SummaryService or the weekly's prose.

    app        the routes                guard   form limits and the token      regenerate   one item again
    templates/review.html.j2 (loaded by jinja.environment)
"""
