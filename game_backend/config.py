"""Settings: one frozen dataclass, read from the environment and overridden by flags."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_JWT_SECRET = "development-secret-change-me-in-production"


def _split_origins(value: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in value.split(",") if origin.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told. Each field has an environment variable (see ENV_VARS)."""

    host: str = "127.0.0.1"
    port: int = 8000
    mongodb_uri: str | None = None
    database_name: str = "game_backend"
    mongo_driver: str = "motor"
    data_dir: str | None = None
    socketio_client_dir: str | None = None
    cors_origins: tuple[str, ...] = ("*",)
    log_level: str = "INFO"
    redis_url: str | None = None
    redis_channel: str = "game_backend"
    jwt_secret: str = DEFAULT_JWT_SECRET
    jwt_expiry_seconds: int = 7 * 24 * 3600
    production: bool = False
    bcrypt_rounds: int = 12
    max_connections_per_ip: int = 50
    trusted_proxies: tuple[str, ...] = ()
    auth_rate: float = 1.0
    auth_burst: int = 20
    reconnect_grace_seconds: float = 10.0
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    connect_timeout: float = 45.0
    max_payload_bytes: int = 1_048_576
    event_rate: float = 50.0
    event_burst: int = 100
    chat_rate: float = 5.0
    chat_burst: int = 10
    hit_rate: float = 60.0
    hit_burst: int = 60
    start_lead_seconds: float = 5.0
    ws_compression: bool = False
    event_loop: str = "auto"
    json_library: str = "auto"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables; unknown or unset variables keep defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (variable, parse) in ENV_VARS.items():
            raw = environ.get(variable)
            if raw is not None and raw != "":
                values[name] = parse(raw)
        return cls(**values)


MIN_PRODUCTION_SECRET_LENGTH = 32


def production_problems(settings: Settings) -> list[str]:
    """Why these settings are unsafe to serve the public with; empty when PRODUCTION is off."""
    if not settings.production:
        return []
    problems = []
    if settings.jwt_secret == DEFAULT_JWT_SECRET:
        problems.append("PRODUCTION is on but JWT_SECRET is the development default; set JWT_SECRET to a long random value")
    elif len(settings.jwt_secret) < MIN_PRODUCTION_SECRET_LENGTH:
        problems.append(f"PRODUCTION is on but JWT_SECRET is shorter than {MIN_PRODUCTION_SECRET_LENGTH} characters")
    if "*" in settings.cors_origins:
        problems.append("PRODUCTION is on but CORS_ORIGINS is *; list your site's origins, e.g. https://game.example.com")
    return problems


def _bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


# field name -> (environment variable, parser)
ENV_VARS: dict[str, tuple[str, Any]] = {
    "host": ("HOST", str),
    "port": ("PORT", int),
    "mongodb_uri": ("MONGODB_URI", str),
    "database_name": ("MONGODB_DATABASE", str),
    "mongo_driver": ("MONGO_DRIVER", str),
    "data_dir": ("DATA_DIR", str),
    "socketio_client_dir": ("SOCKETIO_CLIENT_DIR", str),
    "cors_origins": ("CORS_ORIGINS", _split_origins),
    "log_level": ("LOG_LEVEL", str.upper),
    "redis_url": ("REDIS_URL", str),
    "redis_channel": ("REDIS_CHANNEL", str),
    "jwt_secret": ("JWT_SECRET", str),
    "jwt_expiry_seconds": ("JWT_EXPIRY_SECONDS", int),
    "production": ("PRODUCTION", _bool),
    "bcrypt_rounds": ("BCRYPT_ROUNDS", int),
    "max_connections_per_ip": ("MAX_CONNECTIONS_PER_IP", int),
    "trusted_proxies": ("TRUSTED_PROXIES", _split_origins),
    "auth_rate": ("AUTH_RATE", float),
    "auth_burst": ("AUTH_BURST", int),
    "reconnect_grace_seconds": ("RECONNECT_GRACE_SECONDS", float),
    "ping_interval": ("PING_INTERVAL", float),
    "ping_timeout": ("PING_TIMEOUT", float),
    "connect_timeout": ("CONNECT_TIMEOUT", float),
    "max_payload_bytes": ("MAX_PAYLOAD_BYTES", int),
    "event_rate": ("EVENT_RATE", float),
    "event_burst": ("EVENT_BURST", int),
    "chat_rate": ("CHAT_RATE", float),
    "chat_burst": ("CHAT_BURST", int),
    "hit_rate": ("HIT_RATE", float),
    "hit_burst": ("HIT_BURST", int),
    "start_lead_seconds": ("START_LEAD_SECONDS", float),
    "ws_compression": ("WS_COMPRESSION", _bool),
    "event_loop": ("EVENT_LOOP", str.lower),
    "json_library": ("JSON_LIBRARY", str.lower),
}
