"""Logging for the `game-backend` command: readable text (the default) or one JSON object per line.

JSON comes from python-json-logger: `time`, `level`, `logger`, `message`,
and the fields a log call passes in `extra` (sid, nickname, event, room,
code, duration_ms), so a log system can filter on them. A log call never
carries a payload's contents or a secret.

The database driver's own logs stay at INFO and above whatever LOG_LEVEL
says: at DEBUG pymongo logs every command with its documents, password
hashes and e-mail addresses included.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DRIVER_LOGGERS = ("pymongo", "motor")  # they log whole documents at DEBUG


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("aiohttp.access").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
