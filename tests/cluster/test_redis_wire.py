"""The Redis connections a room's traffic crosses (transport/cluster/redis_wire.py), against real redis-server processes."""

from __future__ import annotations

import asyncio
import inspect
import signal
import ssl
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from game_backend.transport.cluster.redis_wire import Publisher, ReplyError, ReplyParser, Subscriber, command

from ..redis_servers import REDIS_URL, PrivateRedis, require_redis

STREAM = (
    b"*3\r\n$10\r\nssubscribe\r\n$4\r\nroom\r\n:1\r\n"
    b"*3\r\n$8\r\nsmessage\r\n$4\r\nroom\r\n$6\r\na\r\nb\x00c\r\n"  # a message may hold CR LF and NUL
    b"+OK\r\n-ERR unknown command\r\n:42\r\n$-1\r\n*-1\r\n$0\r\n\r\n"
    b"*2\r\n*1\r\n:1\r\n$1\r\nx\r\n"
)
REPLIES = [[b"ssubscribe", b"room", 1], [b"smessage", b"room", b"a\r\nb\x00c"], b"OK", "ERR unknown command", 42,
           None, None, b"", [[1], b"x"]]


def _comparable(replies: list[object]) -> list[object]:
    return [str(reply) if isinstance(reply, ReplyError) else reply for reply in replies]


def test_replies_cut_at_any_byte_are_read_whole() -> None:
    for cut in range(len(STREAM) + 1):
        parser = ReplyParser()
        replies = parser.feed(STREAM[:cut]) + parser.feed(STREAM[cut:])
        assert _comparable(replies) == REPLIES, cut


def test_replies_arriving_a_byte_at_a_time() -> None:
    parser = ReplyParser()
    replies = [reply for index in range(len(STREAM)) for reply in parser.feed(STREAM[index:index + 1])]
    assert _comparable(replies) == REPLIES


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert command("SPUBLISH", "room", b"\x00\r\n") == b"*3\r\n$8\r\nSPUBLISH\r\n$4\r\nroom\r\n$3\r\n\x00\r\n\r\n"


async def _until(condition: Callable[[], Any], seconds: float = 5.0) -> None:
    """Wait for `condition()` (a value, or an awaitable one) to be true."""
    for _ in range(int(seconds / 0.01)):
        answer = condition()
        if await answer if inspect.isawaitable(answer) else answer:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not in time")


async def _listening(client: aioredis.Redis, channel: str, count: int) -> bool:
    return dict(await client.pubsub_shardnumsub(channel)).get(channel.encode(), 0) == count


async def _subscribed(url: str, channel: str) -> tuple[Subscriber, list[bytes]]:
    received: list[bytes] = []
    subscriber = await Subscriber.open(url, received.append)
    subscriber.subscribe([channel])
    client = aioredis.Redis.from_url(url)
    await _until(lambda: _listening(client, channel, 1))
    await client.aclose()
    return subscriber, received


async def test_batches_of_publishes_arrive_whole_and_in_order() -> None:
    require_redis()
    channel = f"test:{uuid.uuid4().hex}"
    subscriber, received = await _subscribed(REDIS_URL, channel)
    publisher = await Publisher.open(REDIS_URL)
    sent = [b"%d:" % index + bytes(range(256)) * (index % 3) for index in range(600)]
    try:
        for start in range(0, len(sent), 200):
            publisher.publish((channel.encode(), message) for message in sent[start:start + 200])
        await _until(lambda: len(received) == len(sent))
        assert received == sent
        subscriber.unsubscribe([channel])
        client = aioredis.Redis.from_url(REDIS_URL)
        await _until(lambda: _listening(client, channel, 0))
        await client.aclose()
        publisher.publish([(channel.encode(), b"after")])
        await asyncio.sleep(0.2)
        assert len(received) == len(sent)
    finally:
        subscriber.close()
        publisher.close()


@pytest.fixture
def guarded_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(password="a-long-secret").start()
    yield server
    server.stop()


async def test_a_redis_with_a_password_is_signed_in_to(guarded_redis: PrivateRedis) -> None:
    subscriber, received = await _subscribed(guarded_redis.url, "room")
    publisher = await Publisher.open(guarded_redis.url)
    try:
        publisher.publish([(b"room", b"hello")])
        await _until(lambda: received == [b"hello"])
    finally:
        subscriber.close()
        publisher.close()
    wrong = guarded_redis.url.replace("a-long-secret", "wrong")
    with pytest.raises(ReplyError, match="WRONGPASS|invalid"):
        await Publisher.open(wrong)


async def test_a_redis_on_a_unix_socket(tmp_path: Path) -> None:
    server = PrivateRedis(unix_socket=str(tmp_path / "redis.sock")).start()
    try:
        url = f"unix://{server.unix_socket}"
        subscriber, received = await _subscribed(url, "room")
        publisher = await Publisher.open(url)
        publisher.publish([(b"room", b"over a unix socket")])
        await _until(lambda: received == [b"over a unix socket"])
        subscriber.close()
        publisher.close()
    finally:
        server.stop()


async def test_a_redis_that_speaks_tls(tmp_path: Path) -> None:
    """rediss:// with the certificate checked against a private CA (`?ssl_ca_certs=`), here a self-signed one."""
    certificate, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", certificate],
                   check=True, capture_output=True)
    server = PrivateRedis(tls=(certificate, key)).start()
    try:
        subscriber, received = await _subscribed(server.url, "room")
        publisher = await Publisher.open(server.url)
        publisher.publish([(b"room", b"over TLS")])
        await _until(lambda: received == [b"over TLS"])
        subscriber.close()
        publisher.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            await Publisher.open(server.url.partition("?")[0])  # the system's CAs do not know this certificate
    finally:
        server.stop()


async def test_a_subscriber_whose_redis_stops_answering_closes(guarded_redis: PrivateRedis) -> None:
    subscriber, _ = await _subscribed(guarded_redis.url, "room")
    assert guarded_redis.process is not None
    guarded_redis.process.send_signal(signal.SIGSTOP)
    try:
        assert subscriber.check()  # a PING goes out, and is not answered
        await asyncio.sleep(0.2)
        assert not subscriber.check()  # the next check finds it unanswered and closes the connection
        await asyncio.wait_for(subscriber.closed, 5)
    finally:
        guarded_redis.process.send_signal(signal.SIGCONT)
