"""Redis's wire protocol (RESP2) on the two connections a room's traffic crosses: one to publish, one to listen.

Every `hit` in a room shared by two processes is published by one and
received by the other. Through redis-py each received message was read by a
task from an asyncio stream, a line and a chunk at a time, and each batch of
publishes was a task of its own: measured, that was a third of a process's
time with every room split. Here both connections are asyncio protocols:

- `Subscriber` parses what arrives in `data_received`, as it arrives, and
  hands each sharded-pub/sub message to a callback there and then: no task,
  no stream, however many messages one read brings.
- `Publisher` says CLIENT REPLY OFF once, then writes batches of SPUBLISH
  commands as one write each: Redis sends no reply to wake this process.

Everything else (PING, PUBSUB SHARDNUMSUB, a publish that must wait) stays
with redis-py, where it is rare.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterable
from typing import Any, Self

from redis.connection import parse_url
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 2.0
Reply = bytes | int | list[Any] | None | Exception


class ReplyError(ResponseError):
    """An error reply (`-ERR ...`): a redis-py ResponseError, so that whoever handles those handles this."""


class Incomplete(Exception):
    """The buffer ends inside a reply."""


def command(*args: str | bytes) -> bytes:
    """One command as RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        out.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(out)


class ReplyParser:
    """RESP2 replies from a byte stream that arrives in pieces of any size."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[Reply]:
        """The replies completed by `data`; a reply cut short waits for the rest."""
        buffer = self._buffer + data if self._buffer else data
        replies: list[Reply] = []
        position = 0
        try:
            while position < len(buffer):
                reply, position = _parse(buffer, position)
                replies.append(reply)
        except Incomplete:
            pass
        self._buffer = buffer[position:]
        return replies


def _parse(buffer: bytes, position: int) -> tuple[Reply, int]:
    end = buffer.find(b"\r\n", position)
    if end < 0:
        raise Incomplete
    kind, line = buffer[position : position + 1], buffer[position + 1 : end]
    position = end + 2
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, position
        if len(buffer) < position + size + 2:
            raise Incomplete
        return buffer[position : position + size], position + size + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, position
        items = []
        for _ in range(count):
            item, position = _parse(buffer, position)
            items.append(item)
        return items, position
    if kind == b":":
        return int(line), position
    if kind == b"+":
        return line, position
    if kind == b"-":
        return ReplyError(line.decode(errors="replace")), position
    raise ValueError(f"not a RESP2 reply: {kind!r}")


class _Link(asyncio.Protocol):
    """A connection to the Redis at a redis://, rediss:// (TLS; `?ssl_ca_certs=<file>` for a private CA) or
    unix:// URL, signed in if the URL holds a password."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._parser = ReplyParser()
        self._waiting: list[asyncio.Future[Reply]] = []  # replies to commands sent with `ask`

    @classmethod
    async def open(cls, url: str, *args: Any) -> Self:
        """Connect, sign in and say what the connection says first; `args` go to the constructor."""
        link = cls(*args)
        options: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
        loop = asyncio.get_running_loop()
        if "path" in options:
            connecting = loop.create_unix_connection(lambda: link, options["path"])
        else:
            secure = None
            if url.startswith("rediss:"):
                secure = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
            connecting = loop.create_connection(
                lambda: link, options.get("host", "localhost"), options.get("port", 6379), ssl=secure
            )
        await asyncio.wait_for(connecting, CONNECT_TIMEOUT)
        try:
            if options.get("password"):
                credentials = [options["username"]] if options.get("username") else []
                await link.ask("AUTH", *credentials, options["password"])
            await link.ready()
        except BaseException:
            link.close()  # refused (a wrong password) or cut short: the connection is not left open
            raise
        return link

    async def ready(self) -> None:
        """What the connection says once, after signing in."""

    async def ask(self, *args: str | bytes) -> Reply:
        """Send a command and wait for its reply (for the setup of a connection only)."""
        assert self.transport is not None
        answer: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        self.transport.write(command(*args))
        reply = await asyncio.wait_for(answer, CONNECT_TIMEOUT)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        for reply in self._parser.feed(data):
            if self._waiting:
                self._waiting.pop(0).set_result(reply)
            else:
                self.reply(reply)

    def reply(self, reply: Reply) -> None:
        """A reply nobody waits for."""

    def connection_lost(self, exc: Exception | None) -> None:
        for answer in self._waiting:
            if not answer.done():
                answer.set_exception(ConnectionError("Redis closed the connection"))
        if not self.closed.done():
            self.closed.set_result(None)

    @property
    def is_open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Subscriber(_Link):
    """A connection in sharded pub/sub mode: each message reaches `on_message(data)` as soon as it is read."""

    def __init__(self, on_message: Callable[[bytes], None]) -> None:
        super().__init__()
        self.on_message = on_message
        self._ping_pending = False

    def subscribe(self, channels: Iterable[str]) -> None:
        self._send("SSUBSCRIBE", channels)

    def unsubscribe(self, channels: Iterable[str]) -> None:
        self._send("SUNSUBSCRIBE", channels)

    def _send(self, name: str, channels: Iterable[str]) -> None:
        channels = list(channels)
        if channels and self.is_open:
            assert self.transport is not None
            self.transport.write(command(name, *channels))

    def check(self) -> bool:
        """Send a PING; False (and the connection closed) if the one before it was never answered."""
        if self._ping_pending:
            self.close()
            return False
        if self.is_open:
            assert self.transport is not None
            self._ping_pending = True
            self.transport.write(command("PING"))
        return True

    def reply(self, reply: Reply) -> None:
        if isinstance(reply, list) and reply:
            kind = reply[0]
            if kind == b"smessage" and len(reply) == 3 and isinstance(reply[2], bytes):
                try:
                    self.on_message(reply[2])
                except Exception:
                    log.exception("a message from Redis could not be handled")
            elif kind == b"pong":
                self._ping_pending = False
        elif isinstance(reply, ReplyError):
            log.error("Redis refused a subscription command: %s", reply)


class Publisher(_Link):
    """A connection that only publishes: no replies come back (CLIENT REPLY OFF), so nothing waits for one."""

    async def ready(self) -> None:
        assert self.transport is not None
        self.transport.write(command("CLIENT", "REPLY", "OFF"))

    def publish(self, batch: Iterable[tuple[bytes, bytes]]) -> None:
        """SPUBLISH each (channel, message), in one write (each command formatted in place: `command()` per
        message would cost a call and a join more on the hottest path between processes)."""
        assert self.transport is not None
        self.transport.write(
            b"".join(
                b"*3\r\n$8\r\nSPUBLISH\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(channel), channel, len(message), message)
                for channel, message in batch
            )
        )

    def backlog(self) -> int:
        """Bytes written but not yet taken by the kernel (Redis reading slowly, or gone)."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0
