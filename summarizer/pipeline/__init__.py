"""The pipeline, as named steps: feeds -> pages -> text -> stories -> summaries -> draft. No CLI code here.
In: Settings and the store. Out: a RunReport, the day's digest recorded in the store and written to
output/drafts (digest/). Runs sources -> trust -> model -> digest in order.

    intake.py     feeds, entry selection, caps, late feeds                 (Intake, window_for)
    articles.py   fetch, extract, story placement                          (Articles)
    summaries.py  one summary service: cache key, token budget, one LLM semaphore, call log
                  (SummaryService; used alike by digest, `summarize URL` and review's regenerate)
    queue.py      one summary task per story                               (StoryQueue)
    draft.py      the day's digest: recorded in the store, written to output/drafts
    report.py     the run report and one run's lifecycle in the store      (RunReport, Run, recorded)
    run.py        `digest`: the steps in order                             (run_digest)
    single.py     `summarize URL`, `extract URL_OR_FILE`                   (summarize_url, extract_only)
    doctor.py     `summarizer doctor`: the health checks

Every article flows through its own task; each finished step is written to the
store at once: a crash loses at most the calls in flight, and a re-run repeats
none that finished.
"""

from .articles import PAGE_ACCEPT
from .intake import FEED_ACCEPT, FEED_GRACE, window_for
from .report import Run, RunReport, recorded
from .run import run_digest
from .single import SingleResult, extract_only, summarize_url
from .summaries import SummaryService

__all__ = ["FEED_ACCEPT", "FEED_GRACE", "PAGE_ACCEPT", "Run", "RunReport", "SingleResult", "SummaryService",
           "extract_only", "recorded", "run_digest", "summarize_url", "window_for"]
