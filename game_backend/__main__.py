"""`python -m game_backend` / `game-backend`: parse flags, run the app."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import socket
import sys
from importlib.metadata import version

from aiohttp import web

from . import compiled
from .app import DatabaseUnavailable, create_app
from .config import SECURITY_SETTINGS, SettingError, Settings, declared, misspelled, problems
from .operations.logs import configure_logging
from .runtime import freeze_heap_once_started, new_event_loop
from .storage.embedded import EmbeddedDatabaseError
from .testing.ephemeral import serve_ephemeral
from .testing.server import TEST_SETTINGS

log = logging.getLogger("game_backend")


def parse_args(argv: list[str] | None, defaults: Settings) -> tuple[Settings, bool]:
    """The settings the environment gave (`defaults`), with the flags on the command line applied over them;
    and whether to run as an ephemeral server (--ephemeral)."""
    parser = argparse.ArgumentParser(
        prog="game-backend",
        description="A Socket.IO backend for multiplayer web games (aiohttp + MongoDB). "
        "Every flag also has an environment variable, shown in brackets; flags win. "
        "The README's Settings table lists the settings that have no flag.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('game_backend')}")
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="for other programs' tests: an in-memory database, the test settings (BCRYPT_ROUNDS "
        '4, START_LEAD_SECONDS 0.5, unless set), one JSON line {"url", "pid"} on stdout once '
        "serving; exits on SIGTERM or when stdin closes. With --port 0, a free port",
    )
    for item in declared():
        if not item.flag:
            continue
        parser.add_argument(
            item.flag,
            dest=item.name,
            default=None,
            metavar=item.env,
            type=item.parse,
            choices=item.choices or None,
            help=f"{_plain(item.help)} [{item.env}] (default {_plain(item.default_text())})",
        )
    args = vars(parser.parse_args(argv))
    ephemeral = args.pop("ephemeral")
    if ephemeral:
        unset = {item.name for item in declared() if not os.environ.get(item.env)}
        defaults = defaults.replace(
            mongodb_uri=None, data_dir=None, **{name: value for name, value in TEST_SETTINGS.items() if name in unset}
        )
    return defaults.replace(**{name: value for name, value in args.items() if value is not None}), ephemeral


def _plain(text: str) -> str:
    """Markdown as --help shows it: no backquotes, no links, % escaped for argparse."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("`", "")
    return text.replace("%", "%%")


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


MISCONFIGURED = 2  # the exit status of a setting that cannot be used, as argparse's for a bad flag


def fail(message: str, status: int = 1) -> int:
    print(f"game-backend: error: {message}", file=sys.stderr)
    return status


def port_taken(settings: Settings) -> str:
    return (
        f"port {settings.port} on {settings.host} is already in use; stop the other server, or choose another "
        f"port: PORT={settings.port + 1} make run (or game-backend --port {settings.port + 1})"
    )


def main(argv: list[str] | None = None) -> int:
    try:
        settings, ephemeral = parse_args(argv, Settings.from_env())
    except SettingError as error:
        return fail(str(error), MISCONFIGURED)
    configure_logging(settings.log_level, settings.log_format)
    for name, meant in misspelled(os.environ):
        if settings.production and meant in SECURITY_SETTINGS:
            return fail(
                f"{name} is not a setting: did you mean {meant}? (in production a misspelled security "
                "setting is an error)",
                MISCONFIGURED,
            )
        log.warning("%s is not a setting: did you mean %s? It is ignored", name, meant)
    wrong = problems(settings)
    if wrong:
        return fail(wrong[0], MISCONFIGURED)
    if settings.port != 0 and not _port_is_free(settings.host, settings.port):
        return fail(port_taken(settings))
    log.info("hot path: %s", compiled.variant())
    try:
        if ephemeral:
            new_event_loop(settings).run_until_complete(serve_ephemeral(settings))
            return 0
        app = create_app(settings)
        freeze_heap_once_started(app)
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            loop=new_event_loop(settings),
            print=lambda _: print(
                f"game-backend serving on http://{settings.host}:{settings.port} (Ctrl+C to stop)", flush=True
            ),
        )
    except (DatabaseUnavailable, EmbeddedDatabaseError) as error:
        return fail(str(error))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return fail(port_taken(settings))
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
