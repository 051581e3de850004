"""Each LLM call of an article written down as it finishes, so a killed run repeats none of them.

A summary is stored when ``Summarizer.summarize`` returns; a run killed in the
middle of a re-ask used to lose the calls already answered and pay for them
again. The journal keeps each answer keyed by the article's URL and text hash,
the prompt fingerprint and the model; the next run replays them in order (the
conversation is rebuilt from them exactly) and asks only what is left. The
entries go once the summary (or the article's failure) is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store import Store
from .llm import Completion


@dataclass(frozen=True)
class CallKey:
    canonical_url: str
    text_hash: str
    prompt_hash: str
    model: str


class CallJournal:
    """The journal of one article's calls in the store (see ``Summarizer.summarize(journal=...)``)."""

    def __init__(self, store: Store, key: CallKey) -> None:
        self.store, self.key = store, key

    def replay(self) -> list[Completion]:
        """The answers a killed run already got for this article, in the order they came."""
        return [Completion(text=row["response"], input_tokens=row["input_tokens"],
                           output_tokens=row["output_tokens"], seconds=row["seconds"],
                           finish_reason=row["finish_reason"])
                for row in self.store.journaled_calls(**vars(self.key))]

    def record(self, attempt: int, completion: Completion) -> None:
        self.store.journal_call(**vars(self.key), attempt=attempt, response=completion.text,
                                input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
                                seconds=completion.seconds, finish_reason=completion.finish_reason)

    def clear(self) -> None:
        self.store.clear_journal(**vars(self.key))
