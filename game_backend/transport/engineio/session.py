"""One Engine.IO session: its transport (long-polling, perhaps upgraded to WebSocket), heartbeat and close.

A session starts on long-polling or directly on a WebSocket. On long-polling,
what the server sends waits in `outbox` until the client's next GET takes it
(at most one GET waits at a time), and each POST brings the client's packets.
On a WebSocket, sends are written straight to the socket and one task reads
it (server.py starts it beside the request's task): one task per socket,
however many messages.

The heartbeat is two timers: every `ping_interval` a PING goes out, and a
PONG must come back within `ping_timeout`, or the session closes. The upgrade
follows the protocol: the client probes the new WebSocket (PING "probe" ->
PONG "probe"), the pending GET is ended with a NOOP, and the client's UPGRADE
switches the session over; what waited in the outbox is written first, so
order is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from .packets import (
    CLOSE,
    MESSAGE,
    NOOP,
    PING,
    PONG,
    UPGRADE,
    Encoded,
    MalformedPacket,
    decode_packet,
)
from .websocket import WebSocketLink

if TYPE_CHECKING:
    from .server import EngineServer

log = logging.getLogger(__name__)

PROBE = PING + "probe"
PROBE_ANSWER = PONG + "probe"
# Packets one GET carries at most; the rest wait for the next GET. python-engineio's client refuses
# a payload of more than 16 packets (and loses it whole), so a burst is sent in slices it accepts.
MAX_PACKETS_PER_POLL = 16
# A GET that arrives while the client is switching to its WebSocket (after the probe) ends with a NOOP
# this late, unless the switch completes first and it is refused: the Node server's 100 ms check.
UPGRADE_NOOP_DELAY = 0.1


class Reason:
    """Why a session ended, as python-socketio passes it on to the `disconnect` handler."""

    CLIENT_DISCONNECT: Final = "client disconnect"
    SERVER_DISCONNECT: Final = "server disconnect"
    PING_TIMEOUT: Final = "ping timeout"
    TRANSPORT_CLOSE: Final = "transport close"
    TRANSPORT_ERROR: Final = "transport error"


OPEN_STATE, CLOSING_STATE, CLOSED_STATE = "open", "closing", "closed"


class Session:
    __slots__ = (
        "sid",
        "server",
        "environ",
        "session",
        "state",
        "link",
        "outbox",
        "upgrading",
        "upgraded",
        "posting",
        "_probed",
        "_poll",
        "_held",
        "_ping_timer",
        "_pong_timer",
    )

    def __init__(self, server: EngineServer, sid: str, environ: Mapping[str, Any]) -> None:
        self.sid = sid
        self.server = server
        self.environ = environ
        self.session: dict[str, Any] | None = None  # python-socketio's per-client session, made when first asked for
        self.state = OPEN_STATE
        self.link: WebSocketLink | None = None
        self.outbox: list[Encoded] = []
        self.upgrading = False
        self.upgraded = False
        self.posting = False
        self._probed = False
        self._poll: asyncio.Future[bool] | None = None
        self._held: list[Encoded] | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None

    @property
    def transport(self) -> str:
        return "polling" if self.link is None else "websocket"

    @property
    def closed(self) -> bool:
        return self.state is not OPEN_STATE

    # Sending

    def send(self, packet: Encoded) -> None:
        """Send one encoded packet: written to the WebSocket, or queued for the next GET."""
        if self.state is not OPEN_STATE:
            return
        if self._held is not None:
            self._held.append(packet)
        else:
            self._deliver(packet)

    def write_frame(self, frame: bytes) -> bool:
        """Write a message's ready-made WebSocket frame; False means the caller must `send` the packet instead."""
        link = self.link
        if link is None or self._held is not None or not link.takes_frames:
            return False
        if self.state is OPEN_STATE:
            link.write_frame(frame)
        return True

    def _deliver(self, packet: Encoded) -> None:
        if self.link is not None:
            self.link.write(packet)
        else:
            self.outbox.append(packet)
            self._end_poll()

    def hold(self) -> None:
        """Keep what is sent from now on until `release`: python-socketio's CONNECT must go out first."""
        self._held = []

    def put_first(self, packets: list[Encoded], keep: Callable[[str], bool]) -> None:
        """While held: `packets` go out first when released, then the held texts `keep` accepts (and any binary)."""
        if self._held is not None:
            self._held = [*packets, *(p for p in self._held if not isinstance(p, str) or keep(p))]

    def release(self, first: Encoded, *, keep_held: bool = True) -> None:
        """Send `first`, then (unless refused) what was held back meanwhile.

        On a WebSocket `first` goes out in a write of its own, as the Node server's CONNECT does: a client
        that handles one message per read (the protocol suite's) would otherwise miss what follows it.
        """
        held, self._held = self._held or [], None
        self.send(first)
        if self.link is not None:
            self.link.flush()
        if keep_held:
            for packet in held:
                self.send(packet)

    # Heartbeat

    def start_heartbeat(self) -> None:
        self._ping_timer = asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.state is not OPEN_STATE:
            return
        self._deliver(PING)
        self._pong_timer = asyncio.get_running_loop().call_later(self.server.ping_timeout, self._pong_missed)

    def _pong_missed(self) -> None:
        self._pong_timer = None
        self.server.spawn(self.close(Reason.PING_TIMEOUT))

    def _pong(self) -> None:
        if self._pong_timer is None:
            return  # no ping outstanding: nothing to answer
        self._pong_timer.cancel()
        self._pong_timer = None
        self.start_heartbeat()

    def _stop_heartbeat(self) -> None:
        for timer in (self._ping_timer, self._pong_timer):
            if timer is not None:
                timer.cancel()
        self._ping_timer = self._pong_timer = None

    # Receiving

    async def receive(self, kind: str, data: str | bytes) -> None:
        """One packet from the client, over either transport."""
        if kind == MESSAGE:
            await self.server.handle_message(self, data)
        elif kind == PONG:
            self._pong()
        elif kind == CLOSE:
            await self.close(Reason.CLIENT_DISCONNECT)
        elif kind == PING:
            # In protocol v4 only the server pings.
            await self.close(Reason.TRANSPORT_ERROR)
        # OPEN, UPGRADE and NOOP outside an upgrade mean nothing from a client: ignored, as the Node server does.

    # Long-polling

    async def poll(self) -> list[Encoded] | None:
        """The packets for one GET, waiting until there are some; None when the GET must be refused.

        A second GET while one waits breaks the protocol and ends the session (the first GET gets CLOSE).
        A GET that arrives after the upgrade's probe is refused once the session has moved to its WebSocket.
        """
        if self._poll is not None:
            await self.close(Reason.TRANSPORT_ERROR)
            return None
        if not self.outbox and self.state is OPEN_STATE:
            loop = asyncio.get_running_loop()
            self._poll = loop.create_future()
            noop_timer = loop.call_later(UPGRADE_NOOP_DELAY, self._end_poll) if self._probed else None
            try:
                refused = await self._poll
            finally:
                self._poll = None
                if noop_timer is not None:
                    noop_timer.cancel()
            if refused:
                return None
        packets = self.outbox[:MAX_PACKETS_PER_POLL] or [NOOP]
        del self.outbox[:MAX_PACKETS_PER_POLL]
        if self.state is CLOSING_STATE and not self.outbox:
            self.state = CLOSED_STATE  # the last GET of a closed session: it carries the final packet
            self.server.forget(self)
        return packets

    def _end_poll(self, *, refuse: bool = False) -> None:
        if self._poll is not None and not self._poll.done():
            self._poll.set_result(refuse)

    # WebSocket

    def attach_websocket(self, link: WebSocketLink) -> None:
        """A session opened directly on a WebSocket."""
        self.link = link
        self.upgraded = True

    async def upgrade(self, link: WebSocketLink, timeout: float) -> bool:
        """The probe exchange of a long-polling session moving to `link`; True once the session runs on it."""
        self.upgrading = True
        try:
            async with asyncio.timeout(timeout):
                if await link.receive() != PROBE:
                    return False
                link.write(PROBE_ANSWER)
                link.flush()  # at once, not at the end of the loop turn: it answers before anything else does
                self._probed = True
                if self._poll is not None:
                    # The GET under way ends (with a NOOP, if nothing else waits), so the client can pause polling.
                    self.outbox = self.outbox or [NOOP]
                    self._end_poll()
                if await link.receive() != UPGRADE:
                    return False
        except TimeoutError:
            return False
        finally:
            self.upgrading = self._probed = False
        if self.state is not OPEN_STATE:
            return False
        waiting, self.outbox = self.outbox, []
        for packet in waiting:
            if packet != NOOP:
                link.write(packet)
        self.attach_websocket(link)
        self._end_poll(refuse=True)  # a GET sent after the probe, which a paused client never sends, is refused
        return True

    async def serve_websocket(self, link: WebSocketLink) -> None:
        """Read the WebSocket until it closes, handing each packet on in this task."""
        handle_message = self.server.handle_message
        try:
            while self.state is OPEN_STATE:
                raw = await link.receive()
                if raw is None:
                    break
                if type(raw) is str and raw[:1] == MESSAGE:
                    await handle_message(self, raw[1:])
                    continue
                try:
                    kind, data = decode_packet(raw)
                except MalformedPacket as error:
                    log.info("closing session %s: %s", self.sid, error)
                    await self.close(Reason.TRANSPORT_ERROR)
                    break
                await self.receive(kind, data)
        finally:
            await self.close(Reason.TRANSPORT_CLOSE)
            await link.close()

    # Closing

    async def close(self, reason: str) -> None:
        """End the session once, and tell the server (and so python-socketio) why.

        On long-polling the client's last GET gets a final packet: CLOSE when the server ends the
        session, NOOP when the client did. A session the server or the client closed while no GET
        was waiting keeps that packet for one more GET (and what was left to send, in the first case).
        """
        if self.state is not OPEN_STATE:
            return
        self._stop_heartbeat()
        self._held = None
        link = self.link
        if link is not None:
            self.state = CLOSED_STATE
            self.server.forget(self)
            if reason == Reason.PING_TIMEOUT:
                link.abort()
            else:
                self.server.spawn(link.close())
        else:
            if reason == Reason.CLIENT_DISCONNECT:
                self.outbox = [NOOP]
            else:
                self.outbox.append(CLOSE)
            if self._poll is None and reason in (Reason.CLIENT_DISCONNECT, Reason.SERVER_DISCONNECT):
                self.state = CLOSING_STATE
                self.server.forget_later(self)
            else:
                self.state = CLOSED_STATE
                self.server.forget(self)
                self._end_poll()
        await self.server.handle_close(self, reason)

    def expire(self) -> None:
        """A closed long-polling session whose last GET never came: forget it."""
        if self.state is CLOSING_STATE:
            self.state = CLOSED_STATE
            self.server.forget(self)
