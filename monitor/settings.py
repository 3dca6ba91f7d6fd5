"""Configuration: the TOML schema (pydantic), loading, and checks against the environment."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from monitor.config_problems import ConfigError, nearest_of, problems_of, raise_cross
from monitor.models import Escalation, Priority, redact_url
from monitor.packs import PACK_NAMES, load_pack
from monitor.sandbox import render_sample

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TEMPLATE_CHECK = ImmutableSandboxedEnvironment()


def parse_duration(value: object) -> timedelta:
    """Parse "90s", "15m", "1h", "7d" (or a number of seconds) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match[1]) * _UNITS[match[2]])
    raise PydanticCustomError(
        "duration",
        "invalid duration '{value}' (use a number and a unit: 90s, 15m, 1h, 7d)",
        {"value": str(value)},
    )


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Terms = Annotated[list[str], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Strict(BaseModel):
    """Base for config sections: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Brand(Strict):
    name: str = Field(min_length=1)
    keywords: Terms = Field(default_factory=list)
    hashtags: Terms = Field(default_factory=list)
    handles: dict[
        Literal["x", "reddit", "mastodon", "bluesky", "threads", "hackernews"], Terms
    ] = Field(default_factory=dict)
    exclude: Terms = Field(default_factory=list)
    languages: Terms = Field(default_factory=list)
    competitors: dict[str, Terms] = Field(default_factory=dict)
    # the industry pack whose intents posts are sorted into (monitor/packs/)
    industry: Literal[PACK_NAMES] = "telecom"  # type: ignore[valid-type]

    @field_validator("hashtags")
    @classmethod
    def _strip_hash(cls, value: list[str]) -> list[str]:
        return [tag.lstrip("#") for tag in value]

    @model_validator(mode="after")
    def _has_terms(self) -> Brand:
        if not (self.keywords or self.hashtags or self.handles):
            raise PydanticCustomError(
                "no_terms", "give at least one of keywords, hashtags or handles to listen for"
            )
        return self

    def all_handles(self) -> list[str]:
        """Every handle of the brand on every platform, without a leading @."""
        return [h.lstrip("@") for hs in self.handles.values() for h in hs]


class SourceBase(Strict):
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")
    interval: Duration = timedelta(seconds=60)
    max_interval: Duration | None = None
    base_url: str | None = None
    timeout: Duration = timedelta(seconds=30)
    enabled: bool = True

    @model_validator(mode="after")
    def _interval_bounds(self) -> SourceBase:
        if self.max_interval is not None and self.max_interval < self.interval:
            raise PydanticCustomError(
                "interval_bounds",
                "max_interval ({max}s) is shorter than interval ({min}s): make it at least "
                "interval, or equal to it to poll at a fixed rate",
                {"max": self.max_interval.total_seconds(), "min": self.interval.total_seconds()},
            )
        return self

    @property
    def key(self) -> str:
        """The stable identity of this source (cursor and health key)."""
        return self.name or self.platform  # type: ignore[attr-defined, no-any-return]

    @property
    def idle_interval(self) -> timedelta:
        """The longest wait between polls of a quiet source (default: 5 × interval)."""
        return self.max_interval if self.max_interval is not None else self.interval * 5

    def secret_envs(self) -> dict[str, str | None]:
        """Config key -> environment variable name for every credential this source names."""
        return {k: v for k, v in self.__dict__.items() if k.endswith("_env")}

    def required_envs(self) -> list[str]:
        """Config keys whose environment variable must be set for the source to run."""
        return []


class ReplaySource(SourceBase):
    platform: Literal["replay"]
    path: Path
    page_size: int = Field(default=50, ge=1, le=10_000)
    # a demo in the present: move every post's time so the newest is minutes old at start
    shift_to_now: bool = False
    # the file's last N posts arrive one at a time over pace_over, each dated on arrival
    pace_last: int = Field(default=0, ge=0, le=10_000)
    pace_over: Duration = timedelta(minutes=3)

    @field_validator("pace_over")
    @classmethod
    def _pace_positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0) or value > timedelta(days=1):
            raise PydanticCustomError("pace_over", "pace_over must be more than 0s and at "
                                      "most 1d (e.g. \"3m\")", {})
        return value


class XSource(SourceBase):
    platform: Literal["x"]
    bearer_token_env: EnvName = "X_BEARER_TOKEN"
    user_token_env: EnvName | None = None
    consumer_key_env: EnvName | None = None
    consumer_secret_env: EnvName | None = None
    access_token_env: EnvName | None = None
    access_token_secret_env: EnvName | None = None
    max_results: int = Field(default=100, ge=10, le=100)
    # Since February 2026 an app below Enterprise may reply through the API only to a post
    # that mentions or quotes the replying account: "mentions_only" makes every other X draft
    # a reply by hand; "any" is for Enterprise access.
    reply_rule: Literal["mentions_only", "any"] = "mentions_only"

    def required_envs(self) -> list[str]:
        return ["bearer_token_env"]


REDDIT_NAME = re.compile(r"[A-Za-z0-9_-]{3,20}")
REDDIT_USER_AGENT = re.compile(r"[^\s:]+:[^\s:]+:[^\s:]+ \(by /?u/[A-Za-z0-9_-]{3,20}\)")
REDDIT_UA_EXAMPLE = "python:com.example.brandbot:v1.0 (by /u/acme_care)"


class RedditSource(SourceBase):
    platform: Literal["reddit"]
    client_id_env: EnvName = "REDDIT_CLIENT_ID"
    client_secret_env: EnvName = "REDDIT_CLIENT_SECRET"
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    subreddits: Terms = Field(default_factory=lambda: ["all"])
    # Reddit's API rules want the User-Agent "<platform>:<app id>:<version> (by /u/<user>)" and
    # throttle vague ones: it is built from `app_id` (else the client id) and `username` (the
    # account Reddit may contact; else the one username_env logs in as). `user_agent` replaces
    # it whole and must keep that form.
    user_agent: str | None = None
    app_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]+$")
    username: str | None = Field(default=None, validate_default=True)

    @field_validator("user_agent")
    @classmethod
    def _reddit_user_agent(cls, value: str | None) -> str | None:
        if value is not None and not REDDIT_USER_AGENT.fullmatch(value):
            raise PydanticCustomError(
                "user_agent", "Reddit throttles or blocks a vague User-Agent; write it as "
                "'<platform>:<app id>:<version> (by /u/<username>)', e.g. '{example}', or "
                "leave user_agent out and set username", {"example": REDDIT_UA_EXAMPLE})
        return value

    @field_validator("username")
    @classmethod
    def _contact(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            name = value.strip().removeprefix("/").removeprefix("u/")
            if not REDDIT_NAME.fullmatch(name):
                raise PydanticCustomError("username", "'{value}' is not a Reddit username "
                                          "(3-20 letters, digits, _ or -)", {"value": value})
            return name
        if info.data.get("user_agent") is None and info.data.get("username_env") is None:
            raise PydanticCustomError(
                "username", "Reddit's User-Agent must name an account it can contact: set "
                "username (e.g. username = \"acme_care\"), or user_agent in the form '{example}'",
                {"example": REDDIT_UA_EXAMPLE})
        return None

    def required_envs(self) -> list[str]:
        return ["client_id_env", "client_secret_env"]


class MastodonSource(SourceBase):
    platform: Literal["mastodon"]
    instance: str | None = None
    access_token_env: EnvName | None = None
    hashtags: Terms = Field(default_factory=list)
    stream: bool = False


class BlueskySource(SourceBase):
    platform: Literal["bluesky"]
    identifier_env: EnvName = "BLUESKY_IDENTIFIER"
    app_password_env: EnvName = "BLUESKY_APP_PASSWORD"
    # "search": searchPosts, per term, with a login; "jetstream": every public post from the
    # Jetstream firehose, matched here (no login needed to listen; replies still need one)
    mode: Literal["search", "jetstream"] = "search"
    jetstream_url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    # where jetstream mode looks up handles and followers without a login (getProfiles):
    # default base_url when that is set (a proxy or test server), else the public AppView
    public_api_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _stream_interval(cls, data: Any) -> Any:
        # a firehose is read in short stretches: between them the stream waits in the socket
        if isinstance(data, dict) and data.get("mode") == "jetstream":
            return {"interval": "1s", **data}
        return data

    @field_validator("jetstream_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise PydanticCustomError("jetstream_url", "jetstream_url must start with ws:// or "
                                      "wss:// (e.g. {default})",
                                      {"default": "wss://jetstream2.us-east.bsky.network/"
                                                  "subscribe"})
        return value

    def required_envs(self) -> list[str]:
        return [] if self.mode == "jetstream" else ["identifier_env", "app_password_env"]


class HackerNewsSource(SourceBase):
    platform: Literal["hackernews"]


class ThreadsSource(SourceBase):
    platform: Literal["threads"]
    # keyword search allows 2,200 queries a day per account, and each poll asks once per term
    interval: Duration = timedelta(minutes=5)
    access_token_env: EnvName = "THREADS_ACCESS_TOKEN"

    DAILY_QUERIES: ClassVar[int] = 2200

    def required_envs(self) -> list[str]:
        return ["access_token_env"]

    def queries_per_day(self, brand: Brand) -> int:
        """The most keyword searches a day this source can send: one per term and poll (a
        query that finds nothing is free, so this is an upper bound before paging)."""
        terms = {k.strip().lower() for k in brand.keywords if k.strip()}
        tags = {t.strip().lower() for t in brand.hashtags if t.strip()}
        return (len(terms) + len(tags)) * int(86400 // max(1.0, self.interval.total_seconds()))


Source = Annotated[
    ReplaySource | XSource | RedditSource | MastodonSource | BlueskySource | HackerNewsSource
    | ThreadsSource,
    Field(discriminator="platform"),
]


def _template_parses(source: str) -> str:
    try:
        _TEMPLATE_CHECK.parse(source)
    except TemplateSyntaxError as exc:
        raise PydanticCustomError("template", "template error: {error}",
                                  {"error": str(exc)}) from None
    try:
        # rendered once with sample values: what would fail on every page is refused now
        render_sample(source)
    except Exception as exc:  # noqa: BLE001 - any failure to render is the problem to name
        raise PydanticCustomError("template", "template fails to render: {error}",
                                  {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}) from None
    return source


ReplyTemplate = Annotated[str, AfterValidator(_template_parses)]


class Voice(Strict):
    tone: Literal["friendly", "formal"] = "friendly"
    sign_off: str = ""
    banned_phrases: Terms = Field(default_factory=list)
    # keys: an intent, an escalation kind, "default", "follow_up" or "acknowledge"
    templates: dict[str, ReplyTemplate] = Field(default_factory=dict)
    # a reply that invites the customer to DM ends with "we'll never ask for your PIN or
    # codes" (fake help accounts answer customers who post in public); unset: the industry
    # pack decides (on for banking)
    code_reminder: bool | None = None


class Team(Strict):
    intents: list[str] = Field(default_factory=list)
    terms: Terms = Field(default_factory=list)


class IntentConfig(Strict):
    """`[intents.NAME]`: adds an intent to the pack, or overrides one of its keys."""

    description: str | None = None
    terms: Terms | None = None
    examples: list[str] | None = None
    team: str | None = None
    priority: Priority | None = None
    template: str | None = None


class EscalationKind(Strict):
    """`[escalation.KIND]`: more terms and false friends for a kind, and its team."""

    terms: Terms = Field(default_factory=list)
    exclude: Terms = Field(default_factory=list)
    team: str | None = None


class Triage(Strict):
    """`[triage]`: what happens to posts that need no reply of substance."""

    # praise and thanks: "none" opens nothing; "draft" opens a low-priority thank-you case
    # with a draft (template `acknowledge`, else `praise`), resolved once the reply is posted
    # or rejected
    acknowledge: Literal["none", "draft"] = "none"


class Routing(Strict):
    default_team: str = "care"
    teams: dict[str, Team] = Field(default_factory=dict)


def _per_priority(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value
    return {p.value: value for p in Priority}


PerPriority = Annotated[dict[Priority, Duration], BeforeValidator(_per_priority)]


class Sla(Strict):
    first_response: PerPriority = Field(
        default={"urgent": "15m", "high": "1h", "normal": "4h", "low": "24h"},
        validate_default=True,
    )
    resolution: PerPriority = Field(
        default={"urgent": "4h", "high": "24h", "normal": "72h", "low": "7d"},
        validate_default=True,
    )
    follow_up: Duration = timedelta(hours=24)

    @field_validator("first_response", "resolution")
    @classmethod
    def _every_priority(cls, value: dict[Priority, timedelta]) -> dict[Priority, timedelta]:
        missing = [p.value for p in Priority if p not in value]
        if missing:
            raise PydanticCustomError(
                "sla", "no target for {missing}", {"missing": ", ".join(missing)}
            )
        return value


class Cases(Strict):
    reopen_window: Duration = timedelta(days=7)
    escalate_followers: int = Field(default=50_000, ge=0)
    outage_cluster_size: int = Field(default=5, ge=2)
    outage_cluster_window: Duration = timedelta(minutes=30)
    incident_quiet: Duration = timedelta(hours=2)
    clock_interval: Duration = timedelta(seconds=30)


class Notify(Strict):
    webhook_url_env: EnvName | None = None
    timeout: Duration = timedelta(seconds=10)


class Analysis(Strict):
    complaint_threshold: float | None = Field(default=None, ge=0, le=1)
    high_reach_followers: int = Field(default=10_000, ge=0)
    # Processes that analyse posts beside the daemon (0: in the daemon's own process). By
    # default one where there is a second core for it.
    workers: int = Field(default_factory=lambda: 1 if (os.cpu_count() or 1) > 1 else 0,
                         ge=0, le=64)


class Drafting(Strict):
    """`[drafting]`: who writes the drafts. "templates" (the default) is the composer alone;
    "openai" also asks an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM,
    a llama.cpp server) and puts its reply first when it passes the voice checks."""

    backend: Literal["templates", "openai"] = "templates"
    base_url: str | None = None  # e.g. http://127.0.0.1:11434/v1
    model: str | None = None
    api_key_env: EnvName | None = None
    timeout: Duration = timedelta(seconds=20)
    max_tokens: int = Field(default=300, ge=16, le=4000)
    interval: Duration = timedelta(seconds=2)

    @model_validator(mode="after")
    def _endpoint(self) -> Drafting:
        if self.backend == "openai":
            missing = [k for k in ("base_url", "model") if not getattr(self, k)]
            if missing:
                raise PydanticCustomError(
                    "drafting", "backend 'openai' needs {missing}",
                    {"missing": " and ".join(missing)})
            if not str(self.base_url).startswith(("http://", "https://")):
                raise PydanticCustomError("drafting", "base_url must start with http:// or "
                                          "https://", {})
        return self


class Publisher(Strict):
    interval: Duration = timedelta(seconds=2)
    max_attempts: int = Field(default=8, ge=1, le=100)
    # above every source's timeout (30 s by default): with replicas, a post still in flight
    # on one must not look abandoned to another
    reconcile_after: Duration = timedelta(seconds=45)
    # an approval can be undone this long; nothing is posted before it has passed
    undo_window: Duration = timedelta(seconds=10)

    @field_validator("undo_window")
    @classmethod
    def _short_undo(cls, value: timedelta) -> timedelta:
        if value > timedelta(minutes=5):
            raise PydanticCustomError(
                "undo_window", "at most 5m: every approved reply waits this long before it "
                "is posted (use 0s for no undo)", {})
        return value


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Digest(Strict):
    spike_z: float = Field(default=3.0, gt=0)
    daily_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    weekly_on: Literal[WEEKDAYS] | None = None  # type: ignore[valid-type]
    weekly_at: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    recipients: Terms = Field(default_factory=list)
    sender: str = "brandbot@localhost"
    smtp_host_env: EnvName = "BRANDBOT_SMTP_HOST"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user_env: EnvName | None = "BRANDBOT_SMTP_USER"
    smtp_password_env: EnvName | None = "BRANDBOT_SMTP_PASSWORD"
    smtp_starttls: bool = True
    crisis_alerts: bool = True


class Web(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    session_idle: Duration = timedelta(hours=8)
    # reverse proxies (addresses or networks, e.g. "10.0.0.0/8") whose X-Forwarded-For header
    # names the client, for sign-in limits and the session's address
    trusted_proxies: list[str] = Field(default_factory=list)
    # the session cookie is Secure even over plain HTTP (TLS ends at the proxy)
    secure_cookies: bool = False
    # /healthz answers 503 once every source has been failing (backing off after errors)
    # this long; a parked source (credentials refused) counts at once
    health_grace: Duration = timedelta(minutes=10)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise PydanticCustomError(
                    "trusted_proxy", "'{item}' is not an IP address or network",
                    {"item": item}) from None
        return value


class Storage(Strict):
    url: str = "sqlite:///brandbot.db"
    # PostgreSQL replicas: how long a replica's claim on a source outlives its last renewal
    lease_ttl: Duration = timedelta(seconds=15)
    busy_timeout: Duration = timedelta(seconds=30)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise PydanticCustomError(
                "storage_url",
                "unsupported storage URL '{value}' (use sqlite:///path/to/brandbot.db or "
                "postgresql://user@host:5432/database)",
                {"value": redact_url(value)},
            )
        return value


class Settings(Strict):
    brand: Brand
    sources: list[Source] = Field(default_factory=list)
    voice: Voice = Field(default_factory=Voice)
    routing: Routing = Field(default_factory=Routing)
    triage: Triage = Field(default_factory=Triage)
    drafting: Drafting = Field(default_factory=Drafting)
    sla: Sla = Field(default_factory=Sla)
    cases: Cases = Field(default_factory=Cases)
    notify: Notify = Field(default_factory=Notify)
    analysis: Analysis = Field(default_factory=Analysis)
    publisher: Publisher = Field(default_factory=Publisher)
    digest: Digest = Field(default_factory=Digest)
    web: Web = Field(default_factory=Web)
    storage: Storage = Field(default_factory=Storage)
    intents: dict[str, IntentConfig] = Field(default_factory=dict)
    escalation: dict[Escalation, EscalationKind] = Field(default_factory=dict)

    def intent_names(self) -> tuple[str, ...]:
        """Every intent posts can have: the industry pack's, the brand's own, and the three
        every pack has."""
        return intent_names(self.brand.industry, self.intents)

    @model_validator(mode="after")
    def _known_intents(self) -> Settings:
        raise_cross(intent_problems(self.brand.industry, self.intents, routing=self.routing,
                                     voice=self.voice))
        return self

    @model_validator(mode="after")
    def _unique_source_keys(self) -> Settings:
        raise_cross(duplicate_sources(list(enumerate(self.sources))))
        return self

    @property
    def storage_url(self) -> str:
        """Where the store lives: a `sqlite:///` file or a `postgresql://` database."""
        return self.storage.url


def intent_names(industry: str, intents: Mapping[str, IntentConfig]) -> tuple[str, ...]:
    """The industry pack's intents and the brand's own `[intents.NAME]`."""
    return tuple(dict.fromkeys([*load_pack(industry).names, *intents]))


def intent_problems(industry: str, intents: Mapping[str, IntentConfig], *,
                    routing: Routing | None, voice: Voice | None) -> list[str]:
    """Teams' intents and voice templates that name no intent there is, one line each."""
    known = intent_names(industry, intents)
    problems = []
    for name, team in (routing.teams.items() if routing is not None else ()):
        unknown = [i for i in team.intents if i not in known]
        if unknown:
            problems.append(
                f"routing.teams.{name}.intents: unknown intent {', '.join(map(repr, unknown))} "
                f"for industry '{industry}'{nearest_of(unknown, known)} (known: "
                f"{', '.join(known)}; add one with [intents.NAME])")
    keys = {*known, *(k.value for k in Escalation), "default", "follow_up", "acknowledge"}
    unknown = sorted(k for k in (voice.templates if voice is not None else ()) if k not in keys)
    if unknown:
        problems.append(
            f"voice.templates: no intent or escalation kind called "
            f"{', '.join(map(repr, unknown))}{nearest_of(unknown, keys)} (templates are keyed "
            "by intent, escalation kind, default, follow_up or acknowledge)")
    return problems


def duplicate_sources(sources: list[tuple[int, SourceBase]]) -> list[str]:
    """A line for each source whose key (its name, else its platform) an earlier one has."""
    seen: set[str] = set()
    problems = []
    for index, source in sources:
        if source.key in seen:
            problems.append(f"sources[{index}]: two sources are called '{source.key}'; give "
                            "each a distinct `name`")
        seen.add(source.key)
    return problems


def _section_problems(data: Mapping[str, Any], environ: Mapping[str, str]) -> list[str]:
    """After a failed validation, the checks it could not reach: each source and section is
    validated alone, and the checks across them (credentials in the environment, intents,
    duplicate sources) run on those that are valid, so one pass reports every problem."""
    def valid(tp: Any, value: Any) -> Any:
        try:
            return TypeAdapter(tp).validate_python(value)
        except ValidationError:
            return None

    raw_sources = data.get("sources")
    sources: list[tuple[int, SourceBase]] = []
    for index, raw in enumerate(raw_sources if isinstance(raw_sources, list) else []):
        source = valid(Source, raw)
        if source is not None:
            sources.append((index, source))
    problems = [*duplicate_sources(sources), *_unset_variables(sources, environ)]
    brand = data.get("brand")
    industry = valid(Brand.model_fields["industry"].annotation,
                     brand.get("industry", "telecom") if isinstance(brand, dict) else "telecom")
    intents = valid(dict[str, IntentConfig], data.get("intents", {}))
    if industry is not None and intents is not None:
        problems += intent_problems(industry, intents,
                                    routing=valid(Routing, data.get("routing", {})),
                                    voice=valid(Voice, data.get("voice", {})))
    return problems


def resolve_config_path(explicit: str | os.PathLike[str] | None,
                        environ: Mapping[str, str] = os.environ) -> Path:
    """--config, else $BRANDBOT_CONFIG, else ./brandbot.toml."""
    return Path(explicit or environ.get("BRANDBOT_CONFIG") or "brandbot.toml")


def load_settings(path: str | os.PathLike[str], *,
                  environ: Mapping[str, str] = os.environ) -> Settings:
    """Read, validate and resolve a config file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read config file ({exc})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: invalid TOML: {exc}"]) from None
    return settings_from_dict(data, base_dir=path.resolve().parent, environ=environ)


def settings_from_dict(data: dict[str, Any], *, base_dir: Path,
                       environ: Mapping[str, str] = os.environ) -> Settings:
    """Validate a parsed config, apply the environment and resolve relative paths."""
    storage_override = environ.get("BRANDBOT_STORAGE_URL")
    if storage_override:
        data = {**data, "storage": {**data.get("storage", {}), "url": storage_override}}
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = problems_of(exc, Settings)
        raise ConfigError(problems + [p for p in _section_problems(data, environ)
                                      if p not in problems]) from None
    problems = missing_credentials(settings, environ)
    if problems:
        raise ConfigError(problems)
    return _resolve_paths(settings, base_dir, state_dir=state_directory(environ))


def state_directory(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where a relative SQLite store goes instead of beside the config: `$STATE_DIRECTORY`,
    which systemd sets for `StateDirectory=` (its first entry) and the container to /data."""
    first = environ.get("STATE_DIRECTORY", "").split(":")[0]
    return Path(first) if first else None


def missing_credentials(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """One problem per enabled source whose required credential variable is unset."""
    return _unset_variables(list(enumerate(settings.sources)), environ)


def _unset_variables(sources: list[tuple[int, SourceBase]],
                     environ: Mapping[str, str]) -> list[str]:
    problems = []
    for index, source in sources:
        if not source.enabled:
            continue
        envs = source.secret_envs()
        for key in source.required_envs():
            variable = envs[key]
            if variable and not environ.get(variable):
                problems.append(
                    f"sources[{index}].{key}: environment variable {variable} is not set "
                    f"(source {source.key!r} needs it)"
                )
    return problems


def _resolve_paths(settings: Settings, base_dir: Path, *, state_dir: Path | None) -> Settings:
    storage = settings.storage
    if storage.url.startswith("sqlite:///"):
        db = Path(storage.url.removeprefix("sqlite:///"))
        home = state_dir or base_dir
        storage = storage.model_copy(update={
            "url": "sqlite:///" + str(db if db.is_absolute() else (home / db).resolve())})
    sources = [
        s.model_copy(update={"path": (base_dir / s.path).resolve()})
        if isinstance(s, ReplaySource) else s
        for s in settings.sources
    ]
    return settings.model_copy(update={"storage": storage, "sources": sources})


def summary(settings: Settings) -> list[str]:
    """A short human summary for `check-config`."""
    brand = settings.brand
    lines = [
        f"brand: {brand.name} ({len(brand.keywords)} keywords, {len(brand.hashtags)} hashtags, "
        f"{len(brand.all_handles())} handles, {len(brand.competitors)} competitors)",
        f"storage: {redact_url(settings.storage.url)}",
        f"web: http://{settings.web.host}:{settings.web.port}",
    ]
    for source in settings.sources:
        state = "" if source.enabled else " (disabled)"
        lines.append(f"source {source.key}: {source.platform} every "
                     f"{int(source.interval.total_seconds())}s{state}")
        if isinstance(source, MastodonSource) and any(k.strip() for k in brand.keywords):
            lines.append(
                "  keyword search finds only posts by accounts that opted into search "
                "(indexable), on instances with full-text search enabled; hashtags reach every "
                "public post" if source.access_token_env else
                "  keywords are not searched (keyword search needs access_token_env): "
                "hashtags only")
        if isinstance(source, ReplaySource) and (source.shift_to_now or source.pace_last):
            lines.append("  " + "; ".join(filter(None, [
                "times moved so the newest post is minutes old" if source.shift_to_now else "",
                f"the last {source.pace_last} posts arrive over "
                f"{int(source.pace_over.total_seconds())}s" if source.pace_last else ""])))
        if isinstance(source, RedditSource):
            lines.append("  new Reddit API access needs Reddit's approval (since November 2025)")
        if isinstance(source, ThreadsSource):
            most, cap = source.queries_per_day(brand), ThreadsSource.DAILY_QUERIES
            lines.append(f"  up to {most} keyword searches a day; Threads allows {cap}" + (
                " (raise interval, or the source waits out the cap)" if most > cap else ""))
    lines.append(f"industry: {brand.industry} ({len(settings.intent_names())} intents)")
    teams = [settings.routing.default_team, *settings.routing.teams,
             *(kind.team for kind in settings.escalation.values() if kind.team)]
    lines.append(f"teams: {', '.join(dict.fromkeys(teams))}")
    return lines
