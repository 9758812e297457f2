"""Settings: every one declared once, with its environment variable, flag, type, default and help.

The Settings dataclass is the table. Each field's metadata names its
environment variable (and, for the common ones, its command-line flag) and
says what it does; `from_env`, the `game-backend --help` flags and the
README's settings table (checked by tests/operations/test_settings.py) all come from it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_JWT_SECRET = "development-secret-change-me-in-production"
MIN_PRODUCTION_SECRET_LENGTH = 32
MIN_PRODUCTION_BCRYPT_ROUNDS = 10
MIN_PRODUCTION_START_LEAD = 1.0
MIN_PRODUCTION_GRACE = 2.0
MIN_PRODUCTION_ADMIN_PASSWORD = 12


def setting(
    default: Any,
    env: str,
    help: str,
    *,
    flag: str | None = None,
    choices: tuple[str, ...] = (),
    shown_default: str | None = None,
) -> Any:
    """A field of Settings: its default, environment variable, help text, and optionally a flag and its choices."""
    return field(
        default=default,
        metadata={"env": env, "help": help, "flag": flag, "choices": choices, "shown_default": shown_default},
    )


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told."""

    host: str = setting("127.0.0.1", "HOST", "address to listen on", flag="--host")
    port: int = setting(8000, "PORT", "port to listen on (`0`: any free port)", flag="--port")
    mongodb_uri: str | None = setting(
        None, "MONGODB_URI", "MongoDB to use; unset starts the embedded SecantusDB", flag="--mongodb-uri"
    )
    database_name: str = setting("game_backend", "MONGODB_DATABASE", "database name", flag="--database")
    mongo_driver: str = setting(
        "motor",
        "MONGO_DRIVER",
        "`motor`, or `pymongo` for PyMongo's `AsyncMongoClient`",
        flag="--driver",
        choices=("motor", "pymongo"),
    )
    database_timeout: float = setting(
        3.0,
        "DATABASE_TIMEOUT",
        "seconds the database work of one event, REST call "
        "or connection may take, waiting included; past it an event is answered "
        "`UNAVAILABLE`, a REST call 503 and a connection refused with that code",
    )
    arrival_timeout: float = setting(
        15.0,
        "ARRIVAL_TIMEOUT",
        "seconds the database work of a new connection may "
        "take, waiting included (arrivals come in storms: after a deploy, at a "
        "tournament's start); past it the connection is refused with `UNAVAILABLE` "
        "(the database does not answer) or `BUSY` (it answers, too slowly)",
    )
    data_dir: str | None = setting(
        None,
        "DATA_DIR",
        "where the embedded database keeps its files (`make run` uses `.data/db`); unset: in memory",
        flag="--data-dir",
    )
    cors_origins: tuple[str, ...] = setting(
        ("*",),
        "CORS_ORIGINS",
        "comma-separated origins whose pages may connect "
        "and call the API (see [In production](docs/operations.md#in-production-"
        "origins-and-several-processes))",
        flag="--cors-origins",
    )
    redis_url: str | None = setting(
        None, "REDIS_URL", "Redis for several server processes sharing rooms", flag="--redis-url"
    )
    redis_channel: str = setting(
        "game_backend",
        "REDIS_CHANNEL",
        "the prefix of this deployment's Redis channels "
        "and keys; give separate deployments on one Redis different ones",
    )
    node_id: str | None = setting(
        None,
        "NODE_ID",
        "this process's name among several (letters and digits): every "
        "session id starts with it, so a load balancer can route a session's requests to "
        "its process (see deploy/nginx.conf)",
        shown_default="a random one",
    )
    log_level: str = setting(
        "INFO",
        "LOG_LEVEL",
        "`DEBUG` also logs every HTTP request",
        flag="--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    )
    log_format: str = setting(
        "text",
        "LOG_FORMAT",
        "`text` (one readable line per event) or `json` (one JSON "
        "object per line: time, level, logger, message, and sid, nickname, event, room, "
        "code, duration_ms where they apply)",
        choices=("text", "json"),
    )
    metrics: bool = setting(
        True, "METRICS", "count for Prometheus at `GET /metrics` (see [Operating it](docs/operations.md#operating-it))"
    )
    metrics_token: str | None = setting(
        None,
        "METRICS_TOKEN",
        "when set, `GET /metrics` wants `Authorization: Bearer <token>`; in production `/metrics` is off without it",
    )
    admin_username: str | None = setting(
        None,
        "ADMIN_USERNAME",
        "with `ADMIN_PASSWORD`: the Socket.IO Admin UI "
        "at `/admin/` (see [Operating it](docs/operations.md#operating-it)); "
        "unset: off",
    )
    admin_password: str | None = setting(
        None, "ADMIN_PASSWORD", "the Admin UI's password (in production at least 12 characters)"
    )
    admin_read_only: bool = setting(
        True, "ADMIN_READ_ONLY", "the Admin UI only watches; `0` lets it emit, join, leave and disconnect sockets"
    )
    jwt_secret: str = setting(
        DEFAULT_JWT_SECRET,
        "JWT_SECRET",
        "secret that signs tokens; set your own in production",
        shown_default="a development value",
    )
    jwt_expiry_seconds: int = setting(7 * 24 * 3600, "JWT_EXPIRY_SECONDS", "how long a token is valid, in seconds")
    production: bool = setting(
        False,
        "PRODUCTION",
        "refuse to start with the default or a short `JWT_SECRET`, or "
        "with `CORS_ORIGINS=*` (see [Security model](docs/security.md#security-model))",
    )
    motion_beat_compat: bool = setting(
        False,
        "MOTION_BEAT_COMPAT",
        "accept Motion Beat's web client as it is: its "
        "socket `login(nickname)` binds an anonymous connection to a player who "
        "signed in from the same address (see [Security "
        "model](docs/security.md#security-model)), "
        "and passwords of 6 characters (its minimum; otherwise 8)",
    )
    bcrypt_rounds: int = setting(12, "BCRYPT_ROUNDS", "bcrypt cost for account passwords")
    auth_rate: float = setting(
        1.0,
        "AUTH_RATE",
        "sign-up and login attempts per second per client address (token "
        "bucket; counted in Redis for all processes together when `REDIS_URL` is set); "
        "the excess gets 429",
    )
    auth_burst: int = setting(20, "AUTH_BURST", "how many sign-up and login attempts an address may make at once")
    max_connections_per_ip: int = setting(
        50,
        "MAX_CONNECTIONS_PER_IP",
        "Socket.IO connections one client address "
        "may hold open (on all processes together when `REDIS_URL` is set, "
        "otherwise on each); `0`: no cap",
    )
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "TRUSTED_PROXIES",
        "comma-separated addresses of your reverse proxies: only from them is `X-Forwarded-For` believed",
    )
    process_lease_seconds: float = setting(
        15.0,
        "PROCESS_LEASE_SECONDS",
        "each server process counts a heartbeat "
        "up in the database three times in this period; another process that "
        "sees it stand still this long (or, on the same machine, its pid gone) "
        "takes it for dead and records its players' connections as gone (see "
        "[What survives what](docs/what-survives-what.md#what-survives-what))",
    )
    reconnect_grace_seconds: float = setting(
        10.0,
        "RECONNECT_GRACE_SECONDS",
        "how long a dropped player's seat is "
        "held; reconnecting with the same token within it gives the seat back "
        "(and the room's events), after it the player leaves as with "
        "`leaveRoom`; `0` leaves at once",
    )
    connection_recovery: bool = setting(
        False,
        "CONNECTION_RECOVERY",
        "socket.io's connection state recovery: a "
        "player who reconnects within the grace period, to any process, gets the "
        "room events they missed; every event then carries one more, last argument "
        "(its offset), as with the Node server's option (see [What survives "
        "what](docs/what-survives-what.md#what-survives-what))",
    )
    ping_interval: float = setting(25.0, "PING_INTERVAL", "seconds between Engine.IO heartbeats")
    ping_timeout: float = setting(
        20.0, "PING_TIMEOUT", "seconds a client has to answer a heartbeat before it is dropped"
    )
    connect_timeout: float = setting(
        45.0, "CONNECT_TIMEOUT", "seconds a new connection may take to join the Socket.IO namespace before it is closed"
    )
    max_payload_bytes: int = setting(
        1_048_576,
        "MAX_PAYLOAD_BYTES",
        "largest Socket.IO packet or REST body accepted; a client that sends a larger packet is disconnected",
    )
    socketio_client_dir: str | None = setting(
        None,
        "SOCKETIO_CLIENT_DIR",
        "where the served `/socket.io/socket.io.js` comes from",
        shown_default="`node_modules/socket.io-client/dist`",
    )
    event_rate: float = setting(50.0, "EVENT_RATE", "events per second per connection (token bucket)")
    event_burst: int = setting(100, "EVENT_BURST", "events a connection may send at once")
    chat_rate: float = setting(5.0, "CHAT_RATE", "chat messages per second per connection")
    chat_burst: int = setting(10, "CHAT_BURST", "chat messages a connection may send at once")
    hit_rate: float = setting(
        60.0,
        "HIT_RATE",
        "`hit` events per second per connection, apart from the event limit; the excess is dropped and counted",
    )
    hit_burst: int = setting(60, "HIT_BURST", "`hit` events a connection may send at once")
    start_lead_seconds: float = setting(
        5.0, "START_LEAD_SECONDS", "how far ahead of the last `playerLoaded` a round's shared start time lies"
    )
    room_code_seed: int | None = setting(
        None,
        "ROOM_CODE_SEED",
        "for tests: room codes drawn from a random "
        "generator with this seed, so that a run can be repeated (refused in "
        "production)",
    )
    ws_compression: bool = setting(
        False,
        "WS_COMPRESSION",
        "accept permessage-deflate on WebSockets when a client "
        "offers it (about 90 KB more per socket; see "
        "[Benchmarks](docs/benchmarks.md#benchmarks))",
    )
    event_loop: str = setting(
        "auto",
        "EVENT_LOOP",
        "`uvloop` (when installed: it is a dependency), or `asyncio`",
        choices=("auto", "asyncio", "uvloop"),
    )
    json_library: str = setting(
        "auto",
        "JSON_LIBRARY",
        "`orjson` (when installed: it is a dependency), or `json`, for Socket.IO packets",
        choices=("auto", "json", "orjson"),
    )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from environment variables; unset or empty ones keep their defaults."""
        environ = os.environ if environ is None else environ
        values = {}
        for item in declared():
            raw = environ.get(item.env)
            if raw is not None and raw != "":
                values[item.name] = item.read(raw)
        return cls(**values)

    def with_values(self, values: Mapping[str, Any]) -> Settings:
        """These settings with `values` applied, each named by its field (`port`) or its variable (`PORT`); a
        variable's value may be its text, as in the environment."""
        by_env = {item.env: item for item in declared()}
        fields = {}
        for key, value in values.items():
            item = by_env.get(key)
            if item is not None:
                fields[item.name] = item.read(value) if isinstance(value, str) else value
            else:
                fields[key] = value
        return self.replace(**fields)


@dataclass(frozen=True)
class Declared:
    """One setting as the table declares it."""

    name: str
    env: str
    help: str
    flag: str | None
    choices: tuple[str, ...]
    default: Any
    shown_default: str | None
    parse: Callable[[str], Any]

    def read(self, raw: str) -> Any:
        """The variable's text as the setting's value; SettingError naming the variable, the value and the form."""
        try:
            return self.parse(raw)
        except ValueError as error:
            raise SettingError(f"{self.env}={raw!r} is not accepted: expected {error}") from None

    def default_text(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None or self.default == ():
            return "unset"
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        if isinstance(self.default, tuple):
            return f"`{','.join(self.default)}`"
        return f"`{self.default}`"


def declared() -> Iterator[Declared]:
    """Every setting, in the order of the table."""
    hints = typing.get_type_hints(Settings)
    for item in dataclasses.fields(Settings):
        meta = item.metadata
        yield Declared(
            item.name,
            meta["env"],
            meta["help"],
            meta["flag"],
            meta["choices"],
            item.default,
            meta["shown_default"],
            _parser(hints[item.name], meta["choices"]),
        )


class SettingError(ValueError):
    """A setting that cannot be used: the message names the variable, the value, and what is accepted."""


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _parser(kind: Any, choices: tuple[str, ...]) -> Callable[[str], Any]:
    """The text of a variable (or flag) as the field's type; ValueError, whose message says what is accepted."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):  # X | None: parse as X
        kind = next(option for option in typing.get_args(kind) if option is not type(None))
    if kind is bool:
        return _boolean
    if typing.get_origin(kind) is tuple:
        return lambda raw: tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind is str and choices:
        return _choice(choices)
    if kind is int:
        return _number(int, "a whole number")
    if kind is float:
        return _number(float, "a number")
    return str


def _boolean(raw: str) -> bool:
    word = raw.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError("1, 0, true, false, yes, no, on or off")
    return word in TRUE_WORDS


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    upper = all(choice.isupper() for choice in choices)

    def choice(raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return value

    return choice


def _number(kind: type[int] | type[float], form: str) -> Callable[[str], Any]:
    def number(raw: str) -> Any:
        try:
            return kind(raw.strip())
        except ValueError:
            raise ValueError(form) from None

    number.__name__ = kind.__name__  # argparse names the type in its message
    return number


# What each numeric, URL or list setting accepts beyond its type, as a test of the value and the accepted form.
Check = tuple[Callable[[Any], bool], str]


def _above(floor: float) -> Check:
    return (lambda value: value > floor), f"a number above {floor:g}"


def _at_least(floor: float) -> Check:
    return (lambda value: value >= floor), f"a number of at least {floor:g}"


def _url(*schemes: str) -> Check:
    return (
        lambda value: value.split("://", 1)[0] in schemes and "://" in value and len(value.split("://", 1)[1]) > 0,
        "a URL starting with " + " or ".join(f"{scheme}://" for scheme in schemes),
    )


def _origins(value: tuple[str, ...]) -> bool:
    return all(
        origin == "*"
        or (
            origin.split("://", 1)[0] in ("http", "https")
            and "://" in origin
            and origin.split("://", 1)[1].strip("/") != ""
        )
        for origin in value
    )


CHECKS: dict[str, Check] = {
    "port": ((lambda value: 0 <= value <= 65535), "a port number from 0 to 65535"),
    "mongodb_uri": _url("mongodb", "mongodb+srv"),
    "redis_url": _url("redis", "rediss", "unix"),
    "cors_origins": (_origins, "* or comma-separated origins such as https://game.example.com"),
    "node_id": ((lambda value: value.isalnum()), "letters and digits only"),
    "database_timeout": _above(0),
    "arrival_timeout": _above(0),
    "jwt_expiry_seconds": _above(0),
    "bcrypt_rounds": ((lambda value: 4 <= value <= 31), "a whole number from 4 to 31"),
    "auth_rate": _above(0),
    "auth_burst": _at_least(1),
    "max_connections_per_ip": _at_least(0),
    "process_lease_seconds": _above(0),
    "reconnect_grace_seconds": _at_least(0),
    "ping_interval": _above(0),
    "ping_timeout": _above(0),
    "connect_timeout": _above(0),
    "max_payload_bytes": _at_least(1024),
    "event_rate": _above(0),
    "event_burst": _at_least(1),
    "chat_rate": _above(0),
    "chat_burst": _at_least(1),
    "hit_rate": _above(0),
    "hit_burst": _at_least(1),
    "start_lead_seconds": _at_least(0),
}


# The settings whose misspelling, unnoticed, leaves a server open: in production a near miss is an error.
SECURITY_SETTINGS = frozenset(
    {
        "JWT_SECRET",
        "METRICS_TOKEN",
        "ADMIN_USERNAME",
        "ADMIN_PASSWORD",
        "ADMIN_READ_ONLY",
        "CORS_ORIGINS",
        "TRUSTED_PROXIES",
        "PRODUCTION",
        "MONGODB_URI",
    }
)
NEAR_MISS = 0.8  # how alike two names must be (difflib's ratio) for one to be taken as a typo of the other


def misspelled(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, the setting it looks like) for each variable of `environ` that is no setting but nearly one:
    `METRICS_TOKN` for `METRICS_TOKEN`, `MONGO_URI` for `MONGODB_URI`."""
    known = [item.env for item in declared()]
    found = []
    for name in sorted(environ):
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=NEAR_MISS)
        if close:
            found.append((name, close[0]))
    return found


def markdown_table() -> str:
    """The README's settings table."""
    lines = ["| variable | flag | default | meaning |", "|---|---|---|---|"]
    for item in declared():
        flag = f"`{item.flag}`" if item.flag else ""
        lines.append(f"| `{item.env}` | {flag} | {item.default_text()} | {item.help} |")
    return "\n".join(lines)


def problems(settings: Settings) -> list[str]:
    """What is wrong with these settings, or unsafe to serve the public with (when PRODUCTION is on)."""
    problems = []
    for item in declared():
        value = getattr(settings, item.name)
        check = CHECKS.get(item.name)
        if check is not None and value is not None and not check[0](value):
            shown = ",".join(value) if isinstance(value, tuple) else value
            problems.append(f"{item.env}={str(shown)!r} is not accepted: expected {check[1]}")
    if (settings.admin_username is None) != (settings.admin_password is None):
        problems.append("the Admin UI needs both ADMIN_USERNAME and ADMIN_PASSWORD (or neither)")
    if not settings.production:
        return problems
    if settings.jwt_secret == DEFAULT_JWT_SECRET:
        problems.append(
            "PRODUCTION is on but JWT_SECRET is the development default; set JWT_SECRET to a long random value"
        )
    elif len(settings.jwt_secret) < MIN_PRODUCTION_SECRET_LENGTH:
        problems.append(f"PRODUCTION is on but JWT_SECRET is shorter than {MIN_PRODUCTION_SECRET_LENGTH} characters")
    if "*" in settings.cors_origins:
        problems.append(
            "PRODUCTION is on but CORS_ORIGINS is *; list your site's origins, e.g. https://game.example.com"
        )
    if settings.admin_password is not None and len(settings.admin_password) < MIN_PRODUCTION_ADMIN_PASSWORD:
        problems.append(
            f"PRODUCTION is on but ADMIN_PASSWORD is shorter than {MIN_PRODUCTION_ADMIN_PASSWORD} characters"
        )
    # The knobs that make tests fast and repeatable are no way to serve the public.
    if settings.bcrypt_rounds < MIN_PRODUCTION_BCRYPT_ROUNDS:
        problems.append(
            f"PRODUCTION is on but BCRYPT_ROUNDS is {settings.bcrypt_rounds}: a test setting; use at "
            f"least {MIN_PRODUCTION_BCRYPT_ROUNDS}"
        )
    if settings.room_code_seed is not None:
        problems.append("PRODUCTION is on but ROOM_CODE_SEED is set: room codes anyone could predict; unset it")
    if settings.start_lead_seconds < MIN_PRODUCTION_START_LEAD:
        problems.append(
            f"PRODUCTION is on but START_LEAD_SECONDS is {settings.start_lead_seconds:g}: a test "
            f"setting; players need at least {MIN_PRODUCTION_START_LEAD:g} s to receive the start time"
        )
    if 0 < settings.reconnect_grace_seconds < MIN_PRODUCTION_GRACE:
        problems.append(
            f"PRODUCTION is on but RECONNECT_GRACE_SECONDS is {settings.reconnect_grace_seconds:g}: a "
            f"test setting; use 0 (leave at once) or at least {MIN_PRODUCTION_GRACE:g}"
        )
    return problems
