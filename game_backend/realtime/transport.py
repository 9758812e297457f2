"""Adjustments to python-engineio's aiohttp driver, kept in one place.

python-engineio reads a long-polling POST body with `request.content.read(length)`,
which returns as soon as *some* bytes have arrived: a packet larger than one
network read (tens of KB) is cut short, fails to decode, and is lost without an
answer. Here the request stream is wrapped so that `read(n)` waits for all n bytes.

It also refuses a polling POST that carries more than 16 packets, and a client
sending `hit` 60 times a second queues more than that while a POST is in
flight; the limit is raised to what the rate limits let through anyway.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from aiohttp import web
from engineio.payload import Payload

MAX_PACKETS_PER_POLL = 256


class _WholeBodyReader:
    """A view of an aiohttp request stream whose `read(n)` returns exactly n bytes (or all there is)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def read(self, size: int = -1) -> bytes:
        if size < 0:
            return await self._stream.read()
        try:
            return await self._stream.readexactly(size)
        except asyncio.IncompleteReadError as error:
            return error.partial


def adapt_engineio(sio: socketio.AsyncServer) -> None:
    """Give this server's Engine.IO driver a request translator that reads whole polling bodies."""
    driver = dict(sio.eio._async)  # a private copy: the driver's table is shared module state
    translate = driver["translate_request"]

    def translate_request(request: web.Request) -> dict[str, Any]:
        environ = translate(request)
        environ["wsgi.input"] = _WholeBodyReader(request.content)
        return environ

    driver["translate_request"] = translate_request
    sio.eio._async = driver
    Payload.max_decode_packets = max(Payload.max_decode_packets, MAX_PACKETS_PER_POLL)
