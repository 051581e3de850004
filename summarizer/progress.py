"""Progress for long work: rich bars on a TTY, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from .redact import redact


@dataclass(frozen=True)
class CallProgress:
    """Where one streamed call is: told for every chunk, and once a second while the model reads."""

    label: str
    tokens: int  # chunks received: one token each from llama.cpp
    seconds: float  # since the request
    first_token: float | None = None  # seconds to the first token (reading the prompt took that long)
    done: bool = False


OnTokens = Callable[[CallProgress], None]


class Reporter(Protocol):
    def stage(self, name: str, total: int) -> None: ...
    def advance(self, name: str, note: str = "") -> None: ...
    def grow(self, name: str, more: int) -> None: ...
    def log(self, message: str) -> None: ...
    def close(self) -> None: ...


class Silent:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, name: str, note: str = "") -> None:
        pass

    def grow(self, name: str, more: int) -> None:
        pass

    def log(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class PlainReporter:
    """One line per event with a timestamp, for cron logs and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}

    def _write(self, text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {redact(text)}", file=self.stream, flush=True)

    def stage(self, name: str, total: int) -> None:
        self.totals[name], self.done[name] = total, 0
        self._write(f"{name}: {total} to do")

    def advance(self, name: str, note: str = "") -> None:
        self.done[name] = self.done.get(name, 0) + 1
        self._write(f"{name} {self.done[name]}/{self.totals.get(name, '?')}" + (f" {note}" if note else ""))

    def grow(self, name: str, more: int) -> None:
        """More work found on the way (a late feed, a new story): the total grows, no line is written."""
        self.totals[name] = self.totals.get(name, 0) + more

    def log(self, message: str) -> None:
        self._write(message)

    def close(self) -> None:
        pass


class RichReporter:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[note]}", style="dim"), console=self.console, transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.totals: dict[str, int] = {}
        self.progress.start()

    def stage(self, name: str, total: int) -> None:
        self.totals[name] = total
        if name in self.tasks:
            self.progress.update(self.tasks[name], total=total, completed=0)
        else:
            self.tasks[name] = self.progress.add_task(name, total=total, note="")

    def advance(self, name: str, note: str = "") -> None:
        if name not in self.tasks:
            self.stage(name, 0)
        self.progress.update(self.tasks[name], advance=1, note=redact(note)[:60])

    def grow(self, name: str, more: int) -> None:
        if name not in self.tasks:
            self.stage(name, 0)
        self.totals[name] = self.totals.get(name, 0) + more
        self.progress.update(self.tasks[name], total=self.totals[name])

    def log(self, message: str) -> None:
        self.progress.console.print(redact(message), markup=False, highlight=False)

    def close(self) -> None:
        self.progress.stop()


def reporter_for(stream: TextIO | None = None) -> Reporter:
    stream = stream or sys.stderr
    if stream.isatty():
        return RichReporter(Console(file=stream))
    return PlainReporter(stream)


class TokenMeter:
    """Signs of life while model calls run: tokens so far and tokens a second for each call in flight.

    ``update`` is the LLM client's ``on_tokens`` (called for every streamed chunk and once a second while
    the model reads the prompt). On a TTY each call is a live row of the rich display; otherwise a plain
    line at most every ``every`` seconds a call.
    """

    def __init__(self, reporter: Reporter, *, every: float = 10.0) -> None:
        self.reporter = reporter
        self.every = every
        self._last: dict[str, float] = {}
        self._rows: dict[str, TaskID] = {}
        self._rich = reporter.progress if isinstance(reporter, RichReporter) else None

    @staticmethod
    def describe(call: CallProgress) -> str:
        if call.tokens == 0:
            return f"reading the article, {call.seconds:.0f} s"
        writing = call.seconds - (call.first_token or 0.0)
        rate = f", {call.tokens / writing:.1f} tokens/s" if writing > 0.5 else ""
        return f"{call.tokens} tokens written{rate}, {call.seconds:.0f} s"

    def update(self, call: CallProgress) -> None:
        note = self.describe(call)
        label = call.label
        if self._rich is not None:
            if call.done:
                if label in self._rows:
                    self._rich.remove_task(self._rows.pop(label))
                return
            if label not in self._rows:
                self._rows[label] = self._rich.add_task(f"  {redact(label)[:24]}", total=None, note=note)
            self._rich.update(self._rows[label], note=note)
            return
        if call.done:
            self._last.pop(label, None)
            return
        last = self._last.setdefault(label, 0.0)
        if call.seconds - last >= self.every:
            self._last[label] = call.seconds
            self.reporter.log(f"model: {label[:40]}: {note}")
