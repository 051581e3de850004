"""Push a published issue to every configured target: in order, each part once, one line per target."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import EmailTarget, Settings, TargetBase
from ...errors import ConfigError, PushError
from ...redact import redact
from ...store import Store
from ..issue import PublishedIssue
from .http import Http
from .mail import email_message, send_email
from .targets import Message, deliver, messages


@dataclass(frozen=True)
class PushOutcome:
    target: str
    type: str
    parts: int
    sent: int
    skipped: int  # parts an earlier run already delivered
    error: str | None = None

    def line(self) -> str:
        """One line for the user: what was sent, what was already there, or why it failed."""
        if self.error:
            delivered = self.sent + self.skipped
            return self.error + (f" ({delivered} of {self.parts} messages delivered)" if delivered else "")
        head = f"push {self.target} ({self.type})"
        if not self.sent:
            return (f"{head}: already sent ({self.parts} messages); "
                    f"`summarizer push DATE --target {self.target}` sends it again")
        again = f", {self.skipped} sent before" if self.skipped else ""
        return f"{head}: sent {self.sent} of {self.parts} messages{again}"


def push_issue(store: Store, settings: Settings, issue: PublishedIssue, *, only: str | None = None,
               force: bool = False) -> list[PushOutcome]:
    """Send ``issue`` to each target (or only the one named); ``force`` sends parts already sent again.

    Raises ConfigError for an unknown target name; a failing target is an outcome, the others still go.
    """
    targets = list(settings.push)
    if only is not None:
        targets = [t for t in targets if t.name == only]
        if not targets:
            names = ", ".join(t.name for t in settings.push) or "none"
            raise ConfigError(f"no push target '{only}' in the config (configured: {names})")
    return [_push_one(store, target, issue, force=force) for target in targets]


def _push_one(store: Store, target: TargetBase, issue: PublishedIssue, *, force: bool) -> PushOutcome:
    kind = target.type
    try:
        if isinstance(target, EmailTarget):
            email = email_message(target, issue)
            parts = [Message(None, email.as_string())]
        else:
            parts = messages(target, issue)
    except ConfigError as exc:
        return PushOutcome(target.name, kind, 0, 0, 0, error=_masked(target, f"push {target.name}: {exc}"))
    done = set() if force else store.sent_parts(issue.date, target.name)
    sent = skipped = 0
    try:
        with Http(target.name, timeout=target.timeout, secrets=_secrets(target)) as http:
            for number, message in enumerate(parts, 1):
                if number in done:
                    skipped += 1
                    continue
                try:
                    if isinstance(target, EmailTarget):
                        send_email(target, issue, email)
                    else:
                        deliver(http, target, message)
                except PushError as exc:
                    store.record_push(date=issue.date, target=target.name, part=number, parts=len(parts),
                                      sha=message.sha, error=_masked(target, str(exc)))
                    raise
                store.record_push(date=issue.date, target=target.name, part=number, parts=len(parts),
                                  sha=message.sha, error=None)
                sent += 1
    except (PushError, ConfigError) as exc:
        # Later parts wait for the next run: sent after a gap they would read out of order.
        error = str(exc) if isinstance(exc, PushError) else f"push {target.name}: {exc}"
        return PushOutcome(target.name, kind, len(parts), sent, skipped, error=_masked(target, error))
    return PushOutcome(target.name, kind, len(parts), sent, skipped)


def _masked(target: TargetBase, text: str) -> str:
    """A line with this target's URL and secrets, the API key and anything shaped like a key masked."""
    for secret in _secrets(target):
        if secret:
            text = text.replace(secret, "***")
    return redact(text)


def _secrets(target: TargetBase) -> list[str]:
    """Every value of this target that must never appear in a line: its URL and its secrets."""
    values = []
    for name in ("url_env", "secret_env", "token_env"):
        variable = getattr(target, name, None)
        if variable:
            try:
                values.append(target.secret(variable) or "")
            except ConfigError:
                continue
    if target.url and target.url_env is None:
        values.append(target.url)
    return values
