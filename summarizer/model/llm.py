"""The only module that imports openai: one client for every OpenAI-compatible provider.

Network retries (429, 5xx, timeouts, dropped connections) belong to the
openai client (``max_retries``, which honours Retry-After); what is left is
turned into LLMError with a one-line reason. Validation re-asks are not here:
they belong to summarize.py.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass
from typing import Any, Literal

import openai

from ..errors import ConfigError, LLMError, ProviderAuthError
from ..progress import CallProgress, OnTokens
from ..redact import redact, register_url

Message = dict[str, str]


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    seconds: float
    finish_reason: str
    # What llama.cpp's server reports it spent (prompt + generation) and how many prompt tokens it
    # took from its cache; None from providers that do not say.
    server_seconds: float | None = None
    cached_tokens: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """Where requests go. The key is kept out of repr so it cannot leak into logs."""

    model: str
    base_url: str | None
    api_key: str

    def __repr__(self) -> str:
        return f"Endpoint(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def label(self) -> str:
        return f"{self.model} @ {self.base_url or 'https://api.openai.com/v1'}"


def hosted_endpoint(model: str, base_url: str | None) -> Endpoint:
    """Endpoint for a hosted or self-run provider; key and URL from the environment win over nothing."""
    url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    register_url(url)  # its password and query values are masked wherever the label is printed or stored
    key = os.environ.get("OPENAI_API_KEY", "")
    if not key:
        if url is None:
            raise ConfigError(
                "OPENAI_API_KEY is not set (needed for api.openai.com; or set llm.base_url / OPENAI_BASE_URL)"
            )
        # Ollama, vLLM and llama.cpp accept any key; the client insists on one.
        key = "not-needed"
    return Endpoint(model=model, base_url=url, api_key=key)


class LLMClient:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        temperature: float = 0.2,
        max_output_tokens: int = 1200,
        timeout: float = 120.0,
        max_retries: int = 3,
        response_format: Literal["json_schema", "json_object"] = "json_schema",
        seed: int | None = None,
        on_tokens: OnTokens | None = None,
        sampling: dict[str, Any] | None = None,
        repeat_sampling: dict[str, Any] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.seed = seed
        # Server-specific sampler settings sent in the request body (llama.cpp's DRY for the local model).
        self.sampling = dict(sampling or {})
        # The same, for a re-ask after a reply that repeated itself (local.REPEAT_SAMPLING).
        self.repeat_sampling = dict(repeat_sampling or sampling or {})
        # Set for the local model: replies are streamed so a minute-long call shows signs of life.
        self.on_tokens = on_tokens
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.response_format = response_format
        self.refused: ProviderAuthError | None = None
        self._client = openai.AsyncOpenAI(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def ping(self) -> float:
        """One tiny request (one output token) to prove the endpoint, model and key work. Raises LLMError."""
        started = time.monotonic()
        try:
            await self._client.chat.completions.create(
                model=self.endpoint.model, messages=[{"role": "user", "content": "ping"}], max_tokens=1,
            )
        except openai.OpenAIError as exc:
            raise _llm_error(self.endpoint.label, exc) from exc
        return time.monotonic() - started

    async def first_token_odds(self, messages: list[Message], options: str) -> tuple[list[float], Completion]:
        """The probability of each one-character option (a letter) as the reply's first token, from the
        server's top log-probabilities (llama.cpp and OpenAI send them), and the call (its text the odds:
        "A 0.61 B 0.20 …", for the call log). Raises LLMError without them."""
        if self.refused is not None:
            raise self.refused
        started = time.monotonic()
        try:
            request: dict[str, Any] = dict(model=self.endpoint.model, messages=messages, max_tokens=1,
                                           temperature=0.0, logprobs=True, top_logprobs=20)
            response = await self._client.chat.completions.create(**request)
        except openai.OpenAIError as exc:
            raise _llm_error(self.endpoint.label, exc) from exc
        choice = response.choices[0] if response.choices else None
        content = choice.logprobs.content if choice is not None and choice.logprobs is not None else None
        if not content:
            raise LLMError(f"{self.endpoint.label}: the reply has no log-probabilities")
        odds = dict.fromkeys(options, 0.0)
        for candidate in content[0].top_logprobs:
            token = candidate.token.strip()
            if token in odds:
                odds[token] += math.exp(candidate.logprob)
        total = sum(odds.values())
        if total <= 0:
            raise LLMError(f"{self.endpoint.label}: no option among the reply's likely first tokens")
        shares = [odds[o] / total for o in options]
        return shares, _odds_call(options, shares, response, time.monotonic() - started)

    async def complete(self, messages: list[Message], *, schema: dict[str, Any], schema_name: str,
                       retry: int = 0, label: str = "", repeated: bool = False) -> Completion:
        """One chat completion asking for JSON; ``retry`` > 0 for a re-ask, ``repeated`` when the last
        reply repeated itself. Raises LLMError."""
        if self.response_format == "json_schema":
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": True},
            }
        else:
            response_format = {"type": "json_object"}
        if self.refused is not None:
            raise self.refused  # the key was refused once: no more requests with it
        sampling = self.repeat_sampling if repeated else self.sampling
        request: dict[str, Any] = dict(
            model=self.endpoint.model, messages=messages,
            # A re-ask at the same low temperature tends to get the same wrong answer back (seen with
            # the 0.5B local model repeating one bullet three times), so each re-ask samples more freely.
            temperature=min(0.7, self.temperature + 0.25 * retry),
            max_tokens=self.max_output_tokens,
            response_format=response_format,
            **({"seed": self.seed + retry} if self.seed is not None else {}),
            **({"extra_body": sampling} if sampling else {}),
        )
        started = time.monotonic()
        try:
            if self.on_tokens is not None:
                return await self._streamed(request, started, label)
            response = await self._client.chat.completions.create(**request)
        except openai.OpenAIError as exc:
            error = _llm_error(self.endpoint.label, exc)
            if isinstance(error, ProviderAuthError):
                self.refused = error
            raise error from exc
        seconds = time.monotonic() - started
        if not response.choices:
            raise LLMError(f"{self.endpoint.label}: response has no choices")
        choice = response.choices[0]
        _check_answer(self.endpoint.label, choice.finish_reason, getattr(choice.message, "refusal", None))
        usage = response.usage
        server_seconds, cached = _timings(response)
        return Completion(
            text=choice.message.content or "",
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            seconds=seconds,
            finish_reason=choice.finish_reason or "",
            server_seconds=server_seconds,
            cached_tokens=cached,
        )

    async def _streamed(self, request: dict[str, Any], started: float, label: str) -> Completion:
        """The same request streamed, so ``on_tokens`` can show the call's progress while it runs."""
        on_tokens = self.on_tokens
        assert on_tokens is not None
        state: dict[str, Any] = {"tokens": 0, "first": None}

        def tell(done: bool = False) -> None:
            on_tokens(CallProgress(label, state["tokens"], time.monotonic() - started, state["first"], done))

        async def heartbeat() -> None:
            while True:  # no chunk comes while the model reads the prompt: say it is still at work
                await asyncio.sleep(1.0)
                tell()

        beat = asyncio.create_task(heartbeat())
        try:
            stream = await self._client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True})
            parts: list[str] = []
            usage: Any = None
            finish_reason = ""
            timing: tuple[float | None, int | None] = (None, None)
            async for chunk in stream:
                usage = chunk.usage or usage
                timing = _timings(chunk) if _timings(chunk)[0] is not None else timing
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        state["tokens"] += 1
                        state["first"] = state["first"] or time.monotonic() - started
                    finish_reason = choice.finish_reason or finish_reason
                tell()
        finally:
            beat.cancel()
            tell(done=True)
        _check_answer(self.endpoint.label, finish_reason)
        return Completion(
            text="".join(parts), input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else state["tokens"],
            seconds=time.monotonic() - started, finish_reason=finish_reason,
            server_seconds=timing[0], cached_tokens=timing[1],
        )


def _check_answer(label: str, finish_reason: str | None, refusal: str | None = None) -> None:
    """Raises LLMError for a refusal or an answer the provider's filter withheld: a re-ask gets the same."""
    if refusal:
        raise LLMError(f"{label}: the model refused ({_short(refusal)})")
    if finish_reason == "content_filter":
        raise LLMError(f"{label}: the provider filtered the answer (finish_reason content_filter); "
                       "not re-asked")


def _timings(response: Any) -> tuple[float | None, int | None]:
    """llama.cpp's own account of a request (``timings``, an extra field): seconds spent, cached tokens."""
    timings = (getattr(response, "model_extra", None) or {}).get("timings")
    if not isinstance(timings, dict):
        return None, None
    try:
        seconds = (float(timings.get("prompt_ms", 0)) + float(timings.get("predicted_ms", 0))) / 1000
        return seconds, int(timings.get("cache_n", 0))
    except (TypeError, ValueError):
        return None, None


def _llm_error(label: str, exc: openai.OpenAIError) -> LLMError:
    """One line for what the client could not recover from; subclasses before their bases."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"{label}: request timed out")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"{label}: connection failed ({exc.__cause__ or exc})")
    if isinstance(exc, openai.AuthenticationError):
        return ProviderAuthError(f"{label}: authentication failed (check OPENAI_API_KEY)")
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"{label}: HTTP {exc.status_code} {_short(exc.message)}")
    return LLMError(f"{label}: {_short(str(exc))}")


def _short(text: str, limit: int = 160) -> str:
    line = redact(" ".join(str(text).split()))  # a gateway may echo the key in its error body
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _odds_call(options: str, shares: list[float], response: Any, seconds: float) -> Completion:
    """The odds call as the call log keeps it: its text the odds ("A 0.61 B 0.20 …"), its usage."""
    usage = response.usage
    return Completion(text=" ".join(f"{o} {p:.2f}" for o, p in zip(options, shares, strict=True)),
                      input_tokens=usage.prompt_tokens if usage else 0,
                      output_tokens=usage.completion_tokens if usage else 0,
                      seconds=seconds, finish_reason=response.choices[0].finish_reason or "")
