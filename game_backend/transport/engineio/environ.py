"""The opening request as python-socketio hands it to the `connect` handler (apart from server.py, which is
compiled: a compiled class cannot extend an interpreted one, here the Mapping ABC)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aiohttp import web


class RequestEnviron(Mapping[str, Any]):
    """What python-socketio hands the `connect` handler: a WSGI-style view of the opening request.

    A view, not a copy: every open session keeps its environ, and copying each
    header into a dict of its own cost about a kilobyte per socket.
    """

    __slots__ = ("request",)

    def __init__(self, request: web.Request) -> None:
        self.request = request

    def __getitem__(self, key: str) -> Any:
        request = self.request
        if key.startswith("HTTP_"):
            return request.headers[key[5:].replace("_", "-")]
        if key == "aiohttp.request":
            return request
        if key == "REQUEST_METHOD":
            return request.method
        if key == "PATH_INFO":
            return request.path
        if key == "QUERY_STRING":
            return request.query_string
        if key == "REMOTE_ADDR":
            return request.remote or ""
        if key == "wsgi.url_scheme":
            return request.scheme
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from ("aiohttp.request", "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REMOTE_ADDR", "wsgi.url_scheme")
        for name in self.request.headers:
            yield "HTTP_" + name.upper().replace("-", "_")

    def __len__(self) -> int:
        return 6 + len(self.request.headers)
