"""Push a published issue to chat groups, channels, mailboxes and webhooks (see ``targets`` for each API)."""

from .run import PushOutcome, push_issue

__all__ = ["PushOutcome", "push_issue"]
