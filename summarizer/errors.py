"""The whole error tree of 简读.

    SummarizerError
    ├── ConfigError        feeds.yaml or the environment is wrong; stops the run before any work
    ├── FetchError         a feed or page could not be downloaded (.url)
    ├── FeedError          feed bytes could not be parsed into entries (.url)
    ├── ExtractError       no usable text in a page (.url); .skipped marks "too short", not broken
    ├── LLMError           the provider failed (HTTP, timeout, refusal) after the client's retries
    │   ├── SummaryInvalid the model's output failed validation after every re-ask (.attempts, .raw)
    │   └── ProviderAuthError the key was refused (401): no article can succeed, the run stops
    ├── LocalModelError    the bundled local model could not be assembled or served
    ├── StoreError         the SQLite file could not be opened or migrated
    ├── EncodingError      a file a person may edit (draft, issue, config) is not UTF-8 (.path, .offset)
    ├── ReviewError        a review action or publish was refused (unknown item, bad edit, no draft)
    │   ├── PublishRefused a draft not reviewed, or with unacknowledged trust flags
    │   └── DraftFormatError the hand-edited draft Markdown breaks the format (.line)
    ├── WeeklyError        a weekly could not be made (no published item in the range, every item failed)
    ├── PushError          a push target refused or did not answer (.target); the other targets still go
    └── RunLocked          another digest run holds the database's lock

Every error carries a one-line message naming the feed, URL or key at fault;
the CLI prints ``str(error)`` and maps the class to an exit code.
"""

from __future__ import annotations

import functools


class SummarizerError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(SummarizerError):
    """The configuration is invalid; nothing has been done yet."""


class FetchError(SummarizerError):
    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class FeedError(SummarizerError):
    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class ExtractError(SummarizerError):
    def __init__(self, message: str, *, url: str, skipped: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.skipped = skipped

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Raised in an extraction worker process, it crosses back by pickle with its keywords.
        return (functools.partial(ExtractError, url=self.url, skipped=self.skipped), (str(self),))


class LLMError(SummarizerError):
    """The provider could not give an answer."""


class ProviderAuthError(LLMError):
    """The provider refused the key; every later call would be refused too."""


class SummaryInvalid(LLMError):
    def __init__(
        self, message: str, *, attempts: int, raw: str, input_tokens: int = 0, output_tokens: int = 0
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.raw = raw
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens


class LocalModelError(SummarizerError):
    """The bundled local model or its server is unavailable."""


class StoreError(SummarizerError):
    """The SQLite store could not be used."""


class EncodingError(SummarizerError):
    def __init__(self, message: str, *, path: str, offset: int) -> None:
        super().__init__(message)
        self.path = path
        self.offset = offset


class ReviewError(SummarizerError):
    """A review action could not be done (no draft for the date, unknown item, invalid edit)."""


class PublishRefused(ReviewError):
    """Publishing was refused: the draft is not reviewed, or trust flags are not acknowledged."""


class DraftFormatError(ReviewError):
    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message)
        self.line = line


class WeeklyError(SummarizerError):
    """No weekly draft could be made from the range asked for."""
class PushError(SummarizerError):
    def __init__(self, message: str, *, target: str) -> None:
        super().__init__(message)
        self.target = target


class RunLocked(SummarizerError):
    """Another run is using the same database; this one did nothing."""
