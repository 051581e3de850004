"""The local review page: Starlette + jinja2, plain HTML forms (POST, then redirect), nothing from a CDN.

Every request needs the random token printed by ``summarizer review`` (query
string or form field): other users of the machine can reach 127.0.0.1 too.
Each request opens the store itself, because SQLite connections belong to one
thread and every change must be on disk before the page is shown again.
"""

from __future__ import annotations

import secrets
import socket
from typing import Any
from urllib.parse import parse_qs, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..config import Settings
from ..errors import SummarizerError
from ..jinja import environment, flagged_terms, mark  # noqa: F401  (re-exported for callers)
from ..providers import Provider
from ..store import Store
from .publish import check_publishable, publish_reviewed
from .regenerate import regenerate
from .state import APPROVED, DROPPED, Review

SOURCE_PREVIEW_CHARS = 6000


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ReviewApp:
    """The app for one date; ``app`` is the ASGI application."""

    def __init__(
        self, settings: Settings, date: str, *, token: str, provider: Provider | None = None
    ) -> None:
        self.settings, self.date, self.token, self.provider = settings, date, token, provider
        self.templates = environment()
        self.app = Starlette(routes=[
            Route("/", self.page, methods=["GET"]),
            Route("/item/{item_id:int}/{action}", self.item_action, methods=["POST"]),
            Route("/approve-all", self.approve_all, methods=["POST"]),
            Route("/publish", self.publish, methods=["POST"]),
        ])

    # -- helpers --------------------------------------------------------------
    def _allowed(self, request: Request, form: dict[str, list[str]] | None = None) -> bool:
        given = request.query_params.get("token") or (form or {}).get("token", [""])[0]
        return secrets.compare_digest(given.encode(), self.token.encode())

    def _back(self, anchor: str = "", message: str = "") -> RedirectResponse:
        query = {"token": self.token} | ({"msg": message} if message else {})
        return RedirectResponse(f"/?{urlencode(query)}{'#' + anchor if anchor else ''}", status_code=303)

    def _store(self) -> Store:
        return Store(self.settings.database_path)

    @staticmethod
    async def _form(request: Request) -> dict[str, list[str]]:
        # urlencoded forms only: parsing them here avoids python-multipart for a handful of fields.
        body = (await request.body()).decode("utf-8", errors="replace")
        return parse_qs(body, keep_blank_values=True)

    # -- routes ---------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        if not self._allowed(request):
            return PlainTextResponse("forbidden: the review URL needs its token", status_code=403)
        with self._store() as store:
            try:
                review = Review.open(store, self.settings, self.date)
            except SummarizerError as exc:
                return PlainTextResponse(f"error: {exc}", status_code=409)
            sources = {}
            for item in review.items.values():
                article = store.article(item.canonical_url)
                text = (article.text or "") if article else ""
                sources[item.id] = text[:SOURCE_PREVIEW_CHARS] + (
                    "…" if len(text) > SOURCE_PREVIEW_CHARS else ""
                )
            digest = review.digest()
            html = self.templates.get_template("review.html.j2").render(
                review=review, digest=digest, sections=review.meta["sections"], sources=sources,
                token=self.token, message=request.query_params.get("msg", ""), APPROVED=APPROVED,
                DROPPED=DROPPED, history=store.review_history(self.date)[-15:][::-1],
            )
        return HTMLResponse(html)

    async def item_action(self, request: Request) -> Response:
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("forbidden", status_code=403)
        item_id: int = request.path_params["item_id"]
        action: str = request.path_params["action"]
        field = lambda name: form.get(name, [""])[0]  # noqa: E731
        message = ""
        with self._store() as store:
            try:
                review = Review.open(store, self.settings, self.date)
                review.item(item_id)
                if action == "approve":
                    review.approve(item_id)
                elif action == "drop":
                    review.drop(item_id)
                elif action == "restore":
                    review.restore(item_id)
                elif action == "edit":
                    review.edit(item_id, headline=field("headline"), emoji=field("emoji"),
                                bullets=[field(f"bullet{n}") for n in (1, 2, 3)])
                elif action == "move":
                    review.move(item_id, field("section"))
                elif action == "highlight":
                    review.toggle_highlight(item_id)
                elif action in ("up", "down"):
                    review.reorder(item_id, -1 if action == "up" else 1)
                elif action == "ack":
                    review.ack(item_id)
                elif action == "regenerate":
                    await regenerate(review, item_id, self.settings, provider=self.provider)
                    message = f"item {item_id} regenerated; review it again"
                else:
                    return PlainTextResponse(f"unknown action {action}", status_code=404)
            except SummarizerError as exc:
                message = f"error: {exc}"
        return self._back(f"item-{item_id}", message)

    async def approve_all(self, request: Request) -> Response:
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("forbidden", status_code=403)
        with self._store() as store:
            try:
                count = Review.open(store, self.settings, self.date).approve_all()
                message = f"{count} items approved"
            except SummarizerError as exc:
                message = f"error: {exc}"
        return self._back(message=message)

    async def publish(self, request: Request) -> Response:
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("forbidden", status_code=403)
        with self._store() as store:
            try:
                review = Review.open(store, self.settings, self.date)
                check_publishable(review, force=False)
                result = publish_reviewed(review, store, self.settings)
                message = (
                    f"published {result.path}" if result.changed else f"already published: {result.path}"
                )
                message = "; ".join([message, *result.pushed])
            except SummarizerError as exc:
                message = f"error: {exc}"
        return self._back(message=message)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the address (and a port chosen by the OS for 0) is known before serving."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    return sock


def server_for(app: Any, sock: socket.socket) -> uvicorn.Server:
    host, port = sock.getsockname()[:2]
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))


def url_for(sock: socket.socket, token: str) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?{urlencode({'token': token})}"


def serve(review_app: ReviewApp, sock: socket.socket) -> None:
    """Serve until Ctrl-C."""
    server_for(review_app.app, sock).run(sockets=[sock])
