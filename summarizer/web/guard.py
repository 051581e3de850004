"""What a POST to the review page must pass before its body is used.

Other users of the machine (and web pages in the reviewer's browser) can
reach the server, so: a request from another site (Origin, or a Host that is a
rebound DNS name) is refused before anything is read; the token is checked
from the query before the body when it is there; the body is read at most
``MAX_BODY`` bytes (a 300 MB POST never reaches memory) and each field is
capped, so no one can store a two-million-character headline.
"""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import parse_qs, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request

MAX_BODY = 64 * 1024  # the edit form (headline, emoji, three bullets) is under 4 KB
MAX_FIELD = 2000  # characters in any one field
MAX_FIELDS = 500  # fields in one form


def _host_name(value: str) -> str:
    try:
        return (urlsplit(f"//{value}").hostname or "").lower()
    except ValueError:
        return ""


def host_allowed(host_header: str, bound_host: str) -> bool:
    """An IP literal, localhost, or the --host given: a DNS name rebound to 127.0.0.1 is not."""
    name = _host_name(host_header)
    if name in ("localhost", bound_host.lower().strip("[]")):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def check_origin(request: Request, bound_host: str) -> None:
    """Raises HTTPException 403 for a request another site made the browser send."""
    host = request.headers.get("host", "")
    if not host_allowed(host, bound_host):
        raise HTTPException(403, "forbidden: unknown Host")
    origin = request.headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.lower()):
        raise HTTPException(403, "forbidden: cross-origin POST")
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "forbidden: cross-site POST")


async def read_form(request: Request, *, token: str, bound_host: str) -> dict[str, list[str]]:
    """The urlencoded form of a POST, after the Origin/Host check and the token; raises HTTPException."""
    check_origin(request, bound_host)
    given = request.query_params.get("token")
    if given is not None and not secrets.compare_digest(given.encode(), token.encode()):
        raise HTTPException(403, "forbidden")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, f"request body over {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"request body over {MAX_BODY} bytes")
    try:  # the publish form sends one "ack" per flagged item: room for a long draft, not for a flood
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True,
                        max_num_fields=MAX_FIELDS)
    except ValueError:
        raise HTTPException(413, f"over {MAX_FIELDS} form fields") from None
    for name, values in form.items():
        if any(len(value) > MAX_FIELD for value in values):
            raise HTTPException(413, f"field {name[:40]} over {MAX_FIELD} characters")
    return form
