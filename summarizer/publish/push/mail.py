"""Email over SMTP: the whole issue in one message, an HTML part (inline styles) and a plain-text part."""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from ...config import EmailTarget
from ...errors import PushError
from ..issue import PublishedIssue, wechat_html


def email_message(target: EmailTarget, issue: PublishedIssue) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = issue.heading
    message["From"] = target.sender
    message["To"] = ", ".join(target.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="jiandu.local")
    footer = f"\n\n阅读全文: {issue.url}\n" if issue.base_url else ""
    message.set_content(issue.markdown + footer)  # the Markdown reads well as plain text
    heading = html.escape(issue.heading)
    page = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{heading}</title>'
            f'</head><body><h1 style="font-size:22px;">{heading}</h1>{wechat_html(issue)}</body></html>')
    message.add_alternative(page, subtype="html")
    return message


def send_email(target: EmailTarget, issue: PublishedIssue, message: EmailMessage) -> None:
    """Deliver ``message``. Raises PushError naming the target and the server's reply, never the password."""
    parts = urlsplit(target.address())
    host, secure = parts.hostname or "", parts.scheme == "smtps"
    port = parts.port or (465 if secure else 587)
    password = target.secret(target.secret_env)
    try:
        if secure:
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=target.timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=target.timeout)
        with client:
            if target.starttls and not secure:
                client.starttls(context=ssl.create_default_context())
            if target.username:
                client.login(target.username, password or "")
            client.send_message(message)
    except smtplib.SMTPResponseException as exc:
        reason = exc.smtp_error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise _fail(target, f"SMTP {exc.smtp_code}: {reason}", password) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise _fail(target, f"recipients refused: {', '.join(exc.recipients)}", password) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise _fail(target, f"{type(exc).__name__}: {exc}", password) from exc


def _fail(target: EmailTarget, message: str, password: str | None) -> PushError:
    if password:
        message = message.replace(password, "***")
    return PushError(f"push {target.name}: {' '.join(message.split())}", target=target.name)
