"""`python -m game_backend` / `game-backend`: parse flags, run the app."""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys

from aiohttp import web

from .app import DatabaseUnavailable, create_app
from .config import ENV_VARS, Settings, production_problems
from .db import DRIVERS
from .embedded import EmbeddedDatabaseError
from .speed import new_event_loop


def parse_args(argv: list[str] | None, defaults: Settings) -> Settings:
    env = {name: variable for name, (variable, _) in ENV_VARS.items()}
    parser = argparse.ArgumentParser(
        prog="game-backend",
        description="A Socket.IO backend for multiplayer web games (aiohttp + MongoDB). "
        "Every flag also has an environment variable, shown in brackets; flags win.",
    )
    parser.add_argument("--host", default=defaults.host, help=f"address to listen on [{env['host']}] (default %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.port, help=f"port to listen on [{env['port']}] (default %(default)s)")
    parser.add_argument("--mongodb-uri", default=defaults.mongodb_uri,
                        help=f"MongoDB to use [{env['mongodb_uri']}]; unset: start the embedded SecantusDB")
    parser.add_argument("--database", default=defaults.database_name, help=f"database name [{env['database_name']}] (default %(default)s)")
    parser.add_argument("--driver", choices=DRIVERS, default=defaults.mongo_driver, help=f"MongoDB driver [{env['mongo_driver']}] (default %(default)s)")
    parser.add_argument("--data-dir", default=defaults.data_dir,
                        help=f"where the embedded database keeps its data [{env['data_dir']}]; unset: in memory, lost on exit")
    parser.add_argument("--cors-origins", default=",".join(defaults.cors_origins),
                        help=f"comma-separated allowed origins, or * [{env['cors_origins']}] (default %(default)s)")
    parser.add_argument("--redis-url", default=defaults.redis_url,
                        help=f"Redis for several server processes, e.g. redis://127.0.0.1:6379/0 [{env['redis_url']}]")
    parser.add_argument("--log-level", default=defaults.log_level, choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        type=str.upper, help=f"[{env['log_level']}] (default %(default)s)")
    args = parser.parse_args(argv)
    return defaults.replace(
        host=args.host,
        port=args.port,
        mongodb_uri=args.mongodb_uri,
        database_name=args.database,
        mongo_driver=args.driver,
        data_dir=args.data_dir,
        cors_origins=tuple(origin.strip() for origin in args.cors_origins.split(",") if origin.strip()),
        redis_url=args.redis_url,
        log_level=args.log_level,
    )


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def fail(message: str) -> int:
    print(f"game-backend: error: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv, Settings.from_env())
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)
    problems = production_problems(settings)
    if problems:
        return fail(problems[0])
    if not _port_is_free(settings.host, settings.port):
        return fail(f"port {settings.port} on {settings.host} is already in use; stop the other server or pass --port")
    try:
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            loop=new_event_loop(settings),
            print=lambda _: print(f"game-backend serving on http://{settings.host}:{settings.port} (Ctrl+C to stop)", flush=True),
        )
    except (DatabaseUnavailable, EmbeddedDatabaseError) as error:
        return fail(str(error))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return fail(f"port {settings.port} on {settings.host} is already in use; stop the other server or pass --port")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
