"""The local review page: Starlette + jinja2, plain HTML forms (POST, then redirect), nothing from a CDN.

Every request needs the random token printed by ``summarizer review`` (query
string or form field): other users of the machine can reach 127.0.0.1 too.
Each request opens the store itself, because SQLite connections belong to one
thread and every change must be on disk before the page is shown again.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..config import Settings
from ..dates import is_weekly
from ..errors import ConfigError, PublishRefused, ReviewError, SummarizerError
from ..jinja import environment
from ..model.providers import Provider
from ..publish.reviewed import check_publishable, publish_reviewed
from ..review.editing import checked_edit
from ..review.page import page_context
from ..review.queue import FILTERS, next_up, publish_blockers
from ..review.state import APPROVED, Review
from ..store import Store
from ..store.lock import run_lock
from ..weekly.review import open_review
from .guard import read_form
from .regenerate import regenerate
from .restore import bring_back


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ReviewApp:
    """The app for one date; ``app`` is the ASGI application."""

    def __init__(self, settings: Settings, date: str, *, token: str, provider: Provider | None = None,
                 host: str = "127.0.0.1") -> None:
        self.settings, self.date, self.token, self.provider = settings, date, token, provider
        self.host = host  # the --host it listens on: a Host header naming it is not a rebound name
        self.templates = environment()
        self.app = Starlette(routes=[
            Route("/", self.page, methods=["GET"]),
            Route("/item/{item_id:int}/{action}", self.item_action, methods=["POST"]),
            Route("/approve-all", self.approve_all, methods=["POST"]),
            Route("/publish", self.publish, methods=["POST"]),
            Route("/reopen", self.reopen, methods=["POST"]),
            Route("/told/restore", self.restore_told, methods=["POST"]),
        ])

    # -- helpers --------------------------------------------------------------
    def _allowed(self, request: Request, form: dict[str, list[str]] | None = None) -> bool:
        given = request.query_params.get("token") or (form or {}).get("token", [""])[0]
        return secrets.compare_digest(given.encode(), self.token.encode())

    def _back(self, anchor: str = "", message: str = "", *, error: bool = False,
              show: str = "") -> RedirectResponse:
        query = {"token": self.token} | ({"msg": message} if message else {})
        query |= ({"error": "1"} if error else {}) | ({"show": show} if show and show != "all" else {})
        return RedirectResponse(f"/?{urlencode(query)}{'#' + anchor if anchor else ''}", status_code=303)

    def _store(self) -> Store:
        return Store(self.settings.database_path)

    async def _form(self, request: Request) -> dict[str, list[str]]:
        # urlencoded forms only: parsing them here avoids python-multipart for a handful of fields.
        # Origin, Host and a query token are checked before the body, which is capped (guard.py).
        return await read_form(request, token=self.token, bound_host=self.host)

    # -- routes ---------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        if not self._allowed(request):
            return PlainTextResponse("禁止访问：审阅页的网址要带上它的 token", status_code=403)
        show = request.query_params.get("show", "all")
        with self._store() as store:
            try:
                review = open_review(store, self.settings, self.date)
            except SummarizerError as exc:
                return PlainTextResponse(f"出错：{exc}", status_code=409)
            return self._render(store, review, show=show, message=request.query_params.get("msg", ""),
                                error=request.query_params.get("error") == "1")

    def _render(self, store: Store, review: Review, *, show: str, message: str = "", error: bool = False,
                typed: dict[str, Any] | None = None) -> HTMLResponse:
        """The page; ``typed``: a refused edit's text, shown again in its open form (nothing is lost)."""
        context = page_context(store, review, self.settings, show=show if show in FILTERS else "all")
        html = self.templates.get_template("review.html.j2").render(
            **context, token=self.token, message=message, error=error, typed=typed)
        return HTMLResponse(html)

    async def item_action(self, request: Request) -> Response:
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("禁止访问", status_code=403)
        item_id: int = request.path_params["item_id"]
        action: str = request.path_params["action"]
        if action not in ITEM_ACTIONS and action not in FORM_ACTIONS:
            return PlainTextResponse(f"没有这个操作：{action}", status_code=404)
        show = form.get("show", ["all"])[0]
        review: Review | None = None
        with self._store() as store:
            try:
                review = open_review(store, self.settings, self.date)
                review.item(item_id)
                if review.state == "published":
                    raise ReviewError(f"{self.date} 这一期已经发布；"
                                      "要修改，先按页面上方的“修改已发布的这一期”")
                message = await self._do(review, item_id, action, form)
            except SummarizerError as exc:
                if action == "edit" and review is not None and review.state != "published":
                    # Answered with the page itself (no redirect): the form keeps what the editor typed.
                    # 200, not 422: chromium logs every 4xx as a console error, and this is a normal answer.
                    typed = {"id": item_id, **{k: form.get(k, [""])[0] for k in
                                               ("headline", "emoji", "bullet1", "bullet2", "bullet3")}}
                    return self._render(store, review, show=show, message=f"出错：{exc}", error=True,
                                        typed=typed)
                return self._back(f"item-{item_id}", f"出错：{exc}", error=True, show=show)
            # After a decision the page moves on to the next item that still needs one.
            target = next_up(review, item_id) if action in DECISIONS else item_id
        return self._back(f"item-{target or item_id}", message, show=show)

    async def _do(self, review: Review, item_id: int, action: str, form: dict[str, list[str]]) -> str:
        """Run one item action; the message for the page (empty for most)."""
        if action == "edit":
            field = lambda name: form.get(name, [""])[0]  # noqa: E731
            if is_weekly(review.date):  # a title and one paragraph, checked by the weekly's own rules
                review.edit(item_id, headline=field("headline"), bullets=[field("bullet1")])
                return f"#{item_id} 已保存"
            flags = checked_edit(review, self.settings, item_id, headline=field("headline"),
                                 emoji=field("emoji"), bullets=[field(f"bullet{n}") for n in (1, 2, 3)])
            checked = f"重新检查后有 {len(flags)} 个待核问题" if flags else "重新检查无问题"
            return f"#{item_id} 已保存；{checked}"
        if action == "move":
            review.move(item_id, form.get("section", [""])[0])
        elif action == "regenerate":
            await regenerate(review, item_id, self.settings, provider=self.provider)
            return f"#{item_id} 已重新生成，请再审一遍"
        else:
            ITEM_ACTIONS[action](review, item_id)
        return ""

    async def approve_all(self, request: Request) -> Response:
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("禁止访问", status_code=403)
        with self._store() as store:
            try:
                count = open_review(store, self.settings, self.date).approve_all()
            except SummarizerError as exc:
                return self._back(message=f"出错：{exc}", error=True)
        return self._back(message=f"批准了 {count} 条")

    async def publish(self, request: Request) -> Response:
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("禁止访问", status_code=403)
        # The CLI's publish takes the push lock too: a `push --missing` beside it would deliver twice.
        with self._store() as store:
            try:
                with run_lock(self.settings.database_path, self.date, "push"):
                    review = open_review(store, self.settings, self.date)
                    # Ticked on the page: the same acknowledgement as `summarizer publish --ack ITEM`.
                    for ref in form.get("ack", []):
                        review.ack(ref)
                    blockers = publish_blockers(review)
                    try:
                        check_publishable(review, force=False)  # the CLI's rule, not a copy of it
                    except PublishRefused:
                        refused = "不能发布：" + "；".join(blockers or ["见上"])
                        return self._back("publish", refused, error=True)
                    result = publish_reviewed(review, store, self.settings)
            except SummarizerError as exc:
                return self._back("publish", f"出错：{exc}", error=True)
        written = "、".join(p.name for p in result.changed)
        message = (f"已发布到 {result.path}（写入 {written}）" if result.changed
                   else f"已发布过，内容没有变化：{result.path}")
        message = "；".join([message, *result.pushed])  # one line per push target
        return self._back(message=message)  # the top of the page says what was published and where

    async def reopen(self, request: Request) -> Response:
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("禁止访问", status_code=403)
        with self._store() as store:
            try:
                open_review(store, self.settings, self.date).reopen()
            except SummarizerError as exc:
                return self._back(message=f"出错：{exc}", error=True)
        return self._back(message="已重新打开：已发布的文件暂时不变，改完后再发布一次才会更新")


    async def restore_told(self, request: Request) -> Response:
        """An 已报道 page brought back: summarized and added to the issue as an ordinary item."""
        form = await self._form(request)
        if not self._allowed(request, form):
            return PlainTextResponse("禁止访问", status_code=403)
        with self._store() as store:
            try:
                review = open_review(store, self.settings, self.date)
                if review.state == "published":
                    raise ReviewError(f"{self.date} 这一期已经发布；"
                                      "要修改，先按页面上方的“修改已发布的这一期”")
                item = await bring_back(review, form.get("url", [""])[0], self.settings,
                                        provider=self.provider)
            except SummarizerError as exc:
                return self._back("told", f"出错：{exc}", error=True)
        return self._back(f"item-{item.id}", f"#{item.id} 已放回草稿，请审一遍")


def _unapprove(review: Review, ref: int) -> None:
    if review.item(ref).status == APPROVED:
        review.restore(ref)


def _not_follow_up(review: Review, ref: int) -> None:
    """The editor judges the item news of its own, not a 续报: its link to the earlier item goes."""
    item = review.item(ref)
    review.change(item, "follows", "")
    review.change(item, "follows_title", "")
    review.commit()


ITEM_ACTIONS: dict[str, Callable[[Review, int], None]] = {
    "approve": Review.approve, "unapprove": _unapprove, "drop": Review.drop, "restore": Review.restore,
    "highlight": Review.toggle_highlight,
    "up": lambda r, i: r.reorder(i, -1), "down": lambda r, i: r.reorder(i, 1),
    "ack": Review.ack, "unfollow": _not_follow_up,
}
FORM_ACTIONS = {"edit", "move", "regenerate"}  # run by ReviewApp._do with the form's fields
DECISIONS = {"approve", "drop"}


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the address (and a port chosen by the OS for 0) is known before serving."""
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        raise ConfigError(f"--host {host}: cannot listen there ({exc.strerror or exc})") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except (OSError, OverflowError) as exc:  # address in use, not ours, a port over 65535
        sock.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({reason}); "
                          "pick another --port, or 0 for any free port") from exc
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
