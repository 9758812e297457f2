"""Several processes, one set of rooms: a client manager on Redis 7's sharded pub/sub, a channel per room.

python-socketio's Redis manager published every emit on one channel, and
every process received, decoded and re-emitted every room's traffic: adding a
process took capacity away. Here (as the Node server's sharded Redis adapter
does) a room has a channel of its own, `<prefix>:r:<namespace>:<room>`, and a
process subscribes to it only while one of its sockets is in the room. An
emit to a room is delivered to this process's members at once, and published
on the room's channel only when another process has members too: each
process announces itself on a room's channel when it subscribes (HERE) and
when it leaves (GONE), and counts the subscribers (PUBSUB SHARDNUMSUB). An
emit to one socket goes to the channel of the process that holds it (socket
ids start with their process's name: see EngineServer.node); one to several
rooms, or to everyone, to `<prefix>:all`.

On the wire a message is msgpack: `[version, op, origin, namespace, ...]`,
the event already encoded as the Socket.IO packet each recipient is sent
(text, then binary attachments): encoded once, never pickled. Besides EMIT,
one process asks another to JOIN or LEAVE a room for a socket it holds, or to
DISCONNECT one (a sign-out closes a player's sockets wherever they are).
Messages go out and come in on two connections of redis_wire.py's, built for
that traffic; the rare commands that wait for an answer go through redis-py.

When Redis is down, each process's own rooms keep working; what had to cross
processes is logged as lost, and the subscriptions come back with Redis.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import msgpack
import redis.asyncio as redis
from redis.exceptions import RedisError

from ..engineio.session_ids import node_of
from ..socketio import delivery
from ..socketio.fanout import FanoutManager, skipped
from .redis_wire import Publisher, Subscriber

log = logging.getLogger(__name__)

VERSION = 1
EMIT, JOIN, LEAVE, DISCONNECT, HERE, GONE, CLOSE = range(1, 8)
RECHECK_SECONDS = 10.0  # how often a room shared with another process is counted again (one may have died)
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
PING_TIMEOUT = 2.0
PUBLISH_BACKLOG_LIMIT = 8 * 1024 * 1024  # bytes of publishes Redis has not read, past which new ones are dropped


class RedisManager(FanoutManager):
    def __init__(self, url: str, prefix: str) -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self._redis: redis.Redis | None = None
        self._subscriber: Subscriber | None = None
        self._subscribed: set[str] = set()
        self._alone: dict[str, bool] = {}  # per room channel this process is on: no other process is
        self._outbox: list[tuple[bytes, bytes]] = []
        self._publisher: Publisher | None = None
        self._connecting_publisher = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lost_logged = 0.0

    # Names

    @property
    def node(self) -> str:
        node: str = self.server.eio.node
        return node

    def _node_channel(self, node: str) -> str:
        return f"{self.prefix}:n:{node}"

    def _room_channel(self, namespace: str, room: str) -> str:
        return f"{self.prefix}:r:{namespace}:{room}"

    @property
    def _all_channel(self) -> str:
        return f"{self.prefix}:all"

    def _is_public(self, namespace: str, room: Any) -> bool:
        """A room of names (a game room, a watch room), not a socket's own room nor the namespace's everyone."""
        return isinstance(room, str) and not self.is_sid_room(namespace, room) and node_of(room) is None

    # python-socketio's manager interface

    def initialize(self) -> None:
        super().initialize()
        self._spawn(self._listen())
        self._spawn(self._recheck_forever())

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        ignore_queue: bool = False,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
        elif ignore_queue:
            delivery.emit(self, event, data, namespace, room, skipped(skip_sid))  # this process's sockets only
        else:
            delivery.broadcast(self, event, data, namespace, room, skipped(skip_sid))

    def onward(self, namespace: str, room: Any, skip: list[str], parts: delivery.Parts) -> None:
        """An emit delivered here, published to the processes that serve its room (or its socket) too."""
        message = [VERSION, EMIT, self.node, namespace, room, [sid for sid in skip if sid], parts]
        owner = node_of(room) if isinstance(room, str) else None
        if owner is not None:
            if owner != self.node:
                self._publish(self._node_channel(owner), message)  # one socket, on another process
        elif isinstance(room, str):
            channel = self._room_channel(namespace, room)
            if not self._alone.get(channel, False):
                self._publish(channel, message)
        else:
            self._publish(self._all_channel, message)

    async def can_disconnect(self, sid: str, namespace: str) -> bool:
        if self.is_connected(sid, namespace):
            return True
        owner = node_of(sid)
        if owner is not None and owner != self.node:
            self._publish(self._node_channel(owner), [VERSION, DISCONNECT, self.node, namespace, sid])
        return False

    async def enter_room(self, sid: str, namespace: str, room: str, eio_sid: str | None = None) -> None:
        if eio_sid is not None or self.is_local(sid, namespace):
            self.basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
            if self._is_public(namespace, room):
                await self._subscribe(self._room_channel(namespace, room))
            return
        owner = node_of(sid)
        if owner is not None:
            self._publish(self._node_channel(owner), [VERSION, JOIN, self.node, namespace, sid, room])

    async def leave_room(self, sid: str, namespace: str, room: str) -> None:
        if self.is_local(sid, namespace):
            self.basic_leave_room(sid, namespace, room)
            await self._unsubscribe_if_empty(namespace, room)
            return
        owner = node_of(sid)
        if owner is not None:
            self._publish(self._node_channel(owner), [VERSION, LEAVE, self.node, namespace, sid, room])

    async def close_room(self, room: str, namespace: str) -> None:
        self.basic_close_room(room, namespace)
        await self._unsubscribe_if_empty(namespace, room)
        self._publish(self._room_channel(namespace, room), [VERSION, CLOSE, self.node, namespace, room])

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        rooms = [room for room in self.rooms_of(sid, namespace) if self._is_public(namespace, room)]
        await super().disconnect(sid, namespace, **kwargs)
        for room in rooms:
            await self._unsubscribe_if_empty(namespace, room)

    async def reachable(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._client().ping(), PING_TIMEOUT))
        except (RedisError, OSError, TimeoutError):
            return False

    # Subscriptions and who else is in a room

    async def _subscribe(self, channel: str) -> None:
        """Listen on a room's channel before the caller goes on (so no message to the room is missed), and
        say so on it; then count who else listens."""
        if channel in self._subscribed:
            return
        self._subscribed.add(channel)
        self._alone[channel] = False  # until counted
        if self._subscriber is None:
            return  # not listening yet (or Redis is away): _listen subscribes to every room when it starts
        self._subscriber.subscribe([channel])
        try:
            await self._client().spublish(channel, self._pack([VERSION, HERE, self.node, "", channel]))
            await self._count(channel)
        except (RedisError, OSError) as error:
            self._lost("subscribe to a room", error)

    async def _unsubscribe_if_empty(self, namespace: str, room: Any) -> None:
        if not self._is_public(namespace, room) or self.rooms.get(namespace, {}).get(room):
            return
        channel = self._room_channel(namespace, room)
        if channel not in self._subscribed:
            return
        self._subscribed.discard(channel)
        self._alone.pop(channel, None)
        if self._subscriber is not None:
            self._subscriber.unsubscribe([channel])
        try:
            await self._client().spublish(channel, self._pack([VERSION, GONE, self.node, "", channel]))
        except (RedisError, OSError) as error:
            self._lost("unsubscribe from a room", error)

    async def _count(self, channel: str) -> None:
        counts = await self._client().pubsub_shardnumsub(channel)
        listeners = {name.decode() if isinstance(name, bytes) else name: n for name, n in counts}
        if channel in self._subscribed:
            self._alone[channel] = listeners.get(channel, 0) <= 1

    async def _recheck_forever(self) -> None:
        """A process that died never said GONE: count the shared rooms again from time to time."""
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            if self._subscriber is not None and not self._subscriber.check():
                log.error("Redis stopped answering this process's subscriptions; listening again")
            for channel, alone in list(self._alone.items()):
                if not alone:
                    try:
                        await self._count(channel)
                    except (RedisError, OSError):
                        break

    # Receiving

    async def _listen(self) -> None:
        """Keep a subscriber connection open (to this process's channel, everyone's, and each room's it is in)."""
        attempt = 0
        while True:
            try:
                subscriber = await Subscriber.open(self.url, self._receive)
                subscriber.subscribe([self._node_channel(self.node), self._all_channel, *self._subscribed])
                self._subscriber = subscriber
                for channel in list(self._subscribed):
                    await self._client().spublish(channel, self._pack([VERSION, HERE, self.node, "", channel]))
                    await self._count(channel)
                log.info("listening on Redis for node %s (%d room channels)", self.node, len(self._subscribed))
                attempt = 0
                await subscriber.closed
                raise ConnectionError("Redis closed the connection")
            except (RedisError, OSError, TimeoutError) as error:
                self._lost("listen", error)
            except Exception:
                log.exception("listening on Redis failed; starting again")
            if self._subscriber is not None:
                self._subscriber.close()
                self._subscriber = None
            for channel in self._alone:
                self._alone[channel] = False  # while Redis is away, assume company
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1

    def _receive(self, raw: bytes) -> None:
        """A message from another process, as the subscriber reads it: an emit is delivered there and then."""
        try:
            message = msgpack.unpackb(raw, raw=False)
        except (ValueError, msgpack.ExtraData):
            return
        if not isinstance(message, list) or len(message) < 4 or message[0] != VERSION or message[2] == self.node:
            return  # another version's, unreadable, or this process's own
        if self.metrics is not None:
            self.metrics.redis_received.inc()
        if message[1] == EMIT and len(message) == 7:
            delivery.deliver(self, message[3], message[4], message[5], message[6])
        else:
            self._spawn(self._request(message))

    async def _request(self, message: list[Any]) -> None:
        """What another process asks of this one (rarer than emits, and some of it waits on Redis)."""
        op, namespace = message[1], message[3]
        if op in (JOIN, LEAVE):
            sid, room = message[4], message[5]
            if self.is_local(sid, namespace):
                await (self.enter_room if op == JOIN else self.leave_room)(sid, namespace, room)
        elif op == DISCONNECT:
            sid = message[4]
            if self.is_connected(sid, namespace):
                await self.server.disconnect(sid, namespace, ignore_queue=True)
        elif op == HERE:
            if message[4] in self._alone:
                self._alone[message[4]] = False
        elif op == GONE:
            if message[4] in self._subscribed:
                await self._count(message[4])
        elif op == CLOSE:
            self.basic_close_room(message[4], namespace)
            await self._unsubscribe_if_empty(namespace, message[4])

    # Publishing: in order, a batch per loop turn

    def _publish(self, channel: str, message: list[Any]) -> None:
        self._outbox.append((channel.encode(), self._pack(message)))
        if len(self._outbox) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """This turn's publishes, in one write; the first ones wait for the publisher to connect."""
        if not self._outbox:
            return  # dropped meanwhile, with a publisher that could not connect
        publisher = self._publisher
        if publisher is None or not publisher.is_open:
            self._publisher = None
            if not self._connecting_publisher:
                self._connecting_publisher = True
                self._spawn(self._connect_publisher())
            return
        batch, self._outbox = self._outbox, []
        if publisher.backlog() > PUBLISH_BACKLOG_LIMIT:
            self._lost(f"publish {len(batch)} message(s) to other processes", BufferError("Redis is not reading"))
            return
        publisher.publish(batch)
        if self.metrics is not None:
            self.metrics.redis_published.inc(len(batch))

    async def _connect_publisher(self) -> None:
        try:
            self._publisher = await Publisher.open(self.url)
        except (RedisError, OSError, TimeoutError) as error:
            self._lost(f"publish {len(self._outbox)} message(s) to other processes", error)
            self._outbox = []
        finally:
            self._connecting_publisher = False
        if self._outbox:
            self._flush()

    def _pack(self, message: list[Any]) -> bytes:
        packed: bytes = msgpack.packb(message, use_bin_type=True)
        return packed

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=15)
        return self._redis

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a Redis task failed", exc_info=task.exception())

    def _lost(self, what: str, error: Exception) -> None:
        """Redis is unreachable: said loudly, but once every few seconds rather than per message."""
        if self.metrics is not None:
            self.metrics.redis_errors.inc()
        if time.monotonic() - self._lost_logged > 5:
            self._lost_logged = time.monotonic()
            log.error(
                "Redis did not answer (%s): could not %s; other processes miss it until Redis is back",
                type(error).__name__,
                what,
            )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for link in (self._publisher, self._subscriber):
            if link is not None:
                link.close()
        if self._redis is not None:
            await self._redis.aclose()
