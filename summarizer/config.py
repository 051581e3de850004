"""feeds.yaml -> validated settings.

Every key is checked (``extra="forbid"``), so a misspelt key is an error that
names it. Relative paths in the file are relative to the file's own folder.
The API key is never read from the file: only from the environment.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .digest.files import read_text
from .errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allow_entry(entry: str) -> IPNetwork | str:
    """An allow-list entry: a CIDR / IP (as a network) or a lower-case host name. Raises ValueError."""
    text = entry.strip()
    if not text:
        raise ValueError("empty allow_hosts entry")
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    if any(c in text for c in "/:@ ") or text.startswith("."):
        raise ValueError(f"allow_hosts entry '{entry}' is neither an IP, a CIDR nor a host name")
    return text.lower().rstrip(".")


DEFAULT_PURPOSE = "本系列文章主要是用于持续跟踪最新的AI产业情况，让你减少知识焦虑。"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Section(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=20)]
    description: str = ""
    # Words that mark the section's stories, weighed with the bundled model's choice (model/sections.py);
    # unset: the built-in ones of a default section's name.
    cues: list[str] | None = None


DEFAULT_SECTIONS = [
    Section(name="产品介绍",
            description="新产品、新模型、新功能、新版本、新设备、新应用或新服务的发布与介绍"),
    Section(name="产业资讯",
            description="公司的经营、融资、并购、财报、诉讼、裁员、人事，政策监管，市场与行业趋势"),
    Section(name="技术教程", description="技术原理讲解、科普、论文解读、实践指南、操作步骤与教程"),
    Section(name="其他",
            description="其他新闻：政治、犯罪、法庭、体育、天气、社会、娱乐、健康与医学研究等"),
]


def parse_since(value: str | int | float | None) -> timedelta | None:
    """'24h', '90m', '2d', a number of hours, or 'all' (no window)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return timedelta(hours=float(value))
    text = str(value).strip().lower()
    if text in {"all", "none", "0"}:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([mhd])", text)
    if not match:
        raise ValueError(f"'{value}' is not a duration like 24h, 90m, 2d or 'all'")
    amount, unit = float(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]


class DigestSettings(_Strict):
    title: str = "简读·AI日报"
    purpose: str = DEFAULT_PURPOSE
    sections: list[Section] = Field(default_factory=lambda: list(DEFAULT_SECTIONS), min_length=1)
    highlights: Annotated[int, Field(ge=0, le=50)] = 10
    reading_speed: Annotated[int, Field(gt=0)] = 400
    since: str = "24h"
    timezone: str = "Asia/Shanghai"
    max_items_per_section: Annotated[int, Field(ge=1)] = 12
    max_items: Annotated[int, Field(ge=1)] = 40
    # Least article length: CJK characters plus two for each English word (text.article_length).
    min_article_chars: Annotated[int, Field(ge=0)] = 150
    # Items the model rated below this importance (1-10) are left out, so a slow day is a short issue.
    min_importance: Annotated[int, Field(ge=0, le=10)] = 0
    # Days of published issues a new page is matched against (trust/memory.py): a story already told is
    # left out, a follow-up with new facts is marked 续报. 0: no memory.
    memory_days: Annotated[int, Field(ge=0, le=60)] = 7

    @field_validator("since")
    @classmethod
    def _since_parses(cls, value: str) -> str:
        parse_since(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _tz_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}'") from exc
        return value

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, value: list[Section]) -> list[Section]:
        names = [s.name for s in value]
        if len(set(names)) != len(names):
            raise ValueError("section names must be unique")
        return value

    @property
    def section_names(self) -> list[str]:
        return [s.name for s in self.sections]

    @property
    def window(self) -> timedelta | None:
        return parse_since(self.since)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class FeedSettings(_Strict):
    url: str
    name: str | None = None
    max_items: Annotated[int, Field(ge=1)] = 30
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url_or_path(cls, value: str) -> str:
        value = value.strip()
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value) and not value.startswith(("http://", "https://", "file://")):
            raise ValueError(f"feed url '{value}' must be http(s):// or a local file path")
        if not value:
            raise ValueError("feed url is empty")
        return value

    @property
    def is_local(self) -> bool:
        return not value_is_http(self.url)

    @property
    def label(self) -> str:
        return self.name or self.url


def value_is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


# Tokens a slot of the local server holds. A re-ask carries the whole conversation (3,000-token article,
# rules, the bad reply, the errors): 4096 overflowed on the 0.5B model's second re-ask of a long article.
LOCAL_CONTEXT_SIZE = 8192
LocalModelName = Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"]


class LocalSettings(_Strict):
    model: LocalModelName = "qwen2.5-coder-1.5b"
    cache_dir: str | None = None  # default: ~/.cache/jiandu/models
    context_size: Annotated[int, Field(ge=1024)] = LOCAL_CONTEXT_SIZE
    threads: int | None = None
    startup_timeout: Annotated[float, Field(gt=0)] = 120.0


class LLMSettings(_Strict):
    # auto: a hosted provider when OPENAI_API_KEY or OPENAI_BASE_URL is set, else the bundled local model.
    provider: Literal["auto", "openai", "local"] = "auto"
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    input_token_budget: Annotated[int, Field(ge=200)] = 3000
    max_output_tokens: Annotated[int, Field(ge=100)] = 1200
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    response_format: Literal["json_schema", "json_object"] = "json_schema"
    max_reasks: Annotated[int, Field(ge=0, le=5)] = 2
    timeout: Annotated[float, Field(gt=0)] = 120.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    bullet_min_chars: Annotated[int, Field(ge=1)] = 60
    bullet_max_chars: Annotated[int, Field(ge=1)] = 220
    headline_max_chars: Annotated[int, Field(ge=5)] = 40
    min_chinese_share: Annotated[float, Field(ge=0, le=1)] = 0.6
    # Optional prices (any currency per million tokens) so a run can show what it cost.
    price_input_per_mtok: float | None = None
    price_output_per_mtok: float | None = None
    # Tokens (in + out) one run may spend; `digest --budget N` overrides it. None: no limit.
    run_token_budget: Annotated[int, Field(ge=1)] | None = None
    local: LocalSettings = Field(default_factory=LocalSettings)

    @model_validator(mode="after")
    def _bullet_range(self) -> LLMSettings:
        if self.bullet_min_chars > self.bullet_max_chars:
            raise ValueError("bullet_min_chars is larger than bullet_max_chars")
        return self


class CheckSettings(_Strict):
    """Trust checks on every summary (summarizer/checks.py); every value is part of the summary cache key."""

    enabled: bool = True
    reasks: Annotated[int, Field(ge=0, le=3)] = 1
    copy_max_chars: Annotated[int, Field(ge=5)] = 30
    duplicate_similarity: Annotated[float, Field(gt=0, le=1)] = 0.6
    headline_min_overlap: Annotated[float, Field(ge=0, le=1)] = 0.4
    quote_max_chars: Annotated[int, Field(ge=8, le=200)] = 40
    allowed_terms: list[str] = Field(default_factory=list)


class WeeklySettings(_Strict):
    """The weekly issues (`summarizer weekly`): front matter of the "issue" format, items per issue."""

    name: Annotated[str, Field(min_length=1, max_length=40)] = "简读"  # title: <name> Weekly 第 N 期
    category: Annotated[str, Field(min_length=1, max_length=20)] = "技术"
    top: Annotated[int, Field(ge=1, le=50)] = 10


class FetchSettings(_Strict):
    concurrency: Annotated[int, Field(ge=1, le=128)] = 16
    per_host: Annotated[int, Field(ge=1, le=32)] = 4
    timeout: Annotated[float, Field(gt=0)] = 20.0
    max_bytes: Annotated[int, Field(ge=1024)] = 5_000_000
    retries: Annotated[int, Field(ge=0, le=5)] = 2
    user_agent: str = "Mozilla/5.0 (compatible; jiandu-summarizer/0.1; +https://github.com/jiandu/summarizer)"
    # Whole-download limit: a server trickling one byte a second never trips the per-read timeout.
    deadline: Annotated[float, Field(gt=0)] = 60.0
    # Longest Retry-After (429/503) worth waiting for once; longer ones fail the URL for this run.
    max_retry_after: Annotated[float, Field(ge=0)] = 10.0
    # Articles fetched and summarized per run, newest first; the rest are reported as left out.
    max_articles: Annotated[int, Field(ge=1)] = 300
    # Loopback, private, link-local and metadata addresses are refused unless listed here
    # (an IP, a CIDR such as 10.1.0.0/16, or an exact host name).
    allow_hosts: list[str] = Field(default_factory=list)
    # Worker processes for text extraction on a run with many pages (0: threads only). trafilatura runs
    # under the GIL, so threads use one core whatever their number.
    extract_processes: Annotated[int, Field(ge=0, le=64)] = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1)
    )
    # Time and memory one page's extraction may take in a worker process; past them the page fails on
    # its own line. A page over 1 MB or nested over 100 deep always goes to a worker (unless
    # extract_processes is 0).
    extract_seconds: Annotated[float, Field(gt=0)] = 30.0
    extract_memory_mb: Annotated[int, Field(ge=0)] = 1024

    @field_validator("allow_hosts")
    @classmethod
    def _allow_entries_parse(cls, value: list[str]) -> list[str]:

        for entry in value:
            parse_allow_entry(str(entry))
        return [str(e) for e in value]


class TargetBase(_Strict):
    """One push target. Webhook URLs hold a token, so ``url_env`` may name a variable holding the URL."""

    name: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[\w.-]+$")]
    type: str  # each kind narrows it to its Literal, which picks the model
    url: str | None = None
    url_env: str | None = None
    timeout: Annotated[float, Field(gt=0)] = 15.0

    @model_validator(mode="after")
    def _one_url(self) -> TargetBase:
        if (self.url is None) == (self.url_env is None) and not isinstance(self, TelegramTarget):
            raise ValueError(f"push target '{self.name}': set exactly one of url and url_env")
        return self

    def address(self) -> str:
        """The URL, from the file or the environment. Raises ConfigError naming the variable."""
        if self.url_env is None:
            return self.url or ""
        url = _env(self.url_env, self.name)
        from .redact import register_url

        register_url(url)  # its access_token and password are masked in every line and row
        return url

    def secret(self, variable: str | None) -> str | None:
        return None if variable is None else _env(variable, self.name)


def _env(variable: str, target: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise ConfigError(f"push target '{target}': environment variable {variable} is not set")
    return value


class FeishuTarget(TargetBase):
    type: Literal["feishu", "lark"]
    secret_env: str | None = None  # 签名校验 secret


class DingTalkTarget(TargetBase):
    type: Literal["dingtalk"]
    secret_env: str | None = None  # 加签 secret


class WeComTarget(TargetBase):
    type: Literal["wecom"]


class TelegramTarget(TargetBase):
    type: Literal["telegram"]
    url: str | None = "https://api.telegram.org"  # Bot API base; a local Bot API server works too
    token_env: str
    chat_id: str | int


class SlackTarget(TargetBase):
    type: Literal["slack"]


class DiscordTarget(TargetBase):
    type: Literal["discord"]


class EmailTarget(TargetBase):
    type: Literal["email"]
    # smtp://host:587 (STARTTLS unless starttls: false) or smtps://host:465 (TLS from the start).
    starttls: bool = True
    username: str | None = None
    secret_env: str | None = None  # the SMTP password
    sender: str
    to: Annotated[list[str], Field(min_length=1)]

    @field_validator("url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("smtp://", "smtps://")):
            raise ValueError(f"'{value}' must be smtp://host:port or smtps://host:port")
        return value


class WebhookTarget(TargetBase):
    type: Literal["webhook"]
    secret_env: str | None = None  # signs the body: X-Jiandu-Signature: sha256=<hex HMAC>


PushTarget = Annotated[
    FeishuTarget | DingTalkTarget | WeComTarget | TelegramTarget | SlackTarget | DiscordTarget | EmailTarget
    | WebhookTarget,
    Field(discriminator="type"),
]


class PublishSettings(_Strict):
    # Where output/ is served: every link in the feed, the pages and the push messages starts here.
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value_is_http(value):
            raise ValueError(f"base_url '{value}' must start with http:// or https://")
        return value if value.endswith("/") else value + "/"


class Settings(_Strict):
    digest: DigestSettings = Field(default_factory=DigestSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    push: list[PushTarget] = Field(default_factory=list)
    feeds: list[FeedSettings] = Field(default_factory=list)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    checks: CheckSettings = Field(default_factory=CheckSettings)
    weekly: WeeklySettings = Field(default_factory=WeeklySettings)
    database: str = "output/jiandu.db"
    output_dir: str = "output"
    # Folder that relative paths above are resolved against (the config file's folder).
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    def path(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @field_validator("push")
    @classmethod
    def _unique_targets(cls, value: list[PushTarget]) -> list[PushTarget]:
        names = [t.name for t in value]
        if len(set(names)) != len(names):
            raise ValueError("push target names must be unique")
        return value

    @property
    def database_path(self) -> Path:
        return self.path(self.database)

    @property
    def output_path(self) -> Path:
        return self.path(self.output_dir)

    def feed_location(self, feed: FeedSettings) -> str:
        """A feed's URL, or its local file as a file:// URL."""
        if value_is_http(feed.url) or feed.url.startswith("file://"):
            return feed.url
        return self.path(feed.url).resolve().as_uri()


def _format_error(exc: ValidationError, source: str) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown key '{loc}'"
    return f"{source}: {loc}: {first['msg']}"


def settings_from_dict(data: dict[str, object], *, base_dir: Path, source: str = "config") -> Settings:
    if "api_key" in data or (isinstance(data.get("llm"), dict) and "api_key" in data["llm"]):  # type: ignore[operator]
        raise ConfigError(
            f"{source}: 'api_key' must not be in the file; set OPENAI_API_KEY in the environment"
        )
    try:
        settings = Settings.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from exc
    from .redact import register_url

    for url in [settings.llm.base_url, os.environ.get("OPENAI_BASE_URL"), *(f.url for f in settings.feeds),
                *(t.url or os.environ.get(t.url_env or "") for t in settings.push)]:
        register_url(url)  # every line and stored message masks their tokens and passwords from now on
    return settings


def load_settings(path: str | Path) -> Settings:
    """Read and validate a feeds.yaml. Raises ConfigError, or EncodingError if it is not UTF-8."""
    path = Path(path)
    try:
        text = read_text(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return settings_from_dict(data, base_dir=path.resolve().parent, source=str(path))
