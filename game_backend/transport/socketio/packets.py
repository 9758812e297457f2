"""Socket.IO packets read the way socket.io-parser (the Node server's parser) reads them, and refused the same way.

A packet is its type digit, for binary packets the number of attachments and
"-", a namespace other than "/" followed by ",", an ack id, and JSON data:
`2/custom,12["event",1]`. socket.io-parser refuses what does not fit, and the
Node server then closes the whole connection; python-socketio's own decoder
lets much of it through (an event named "disconnect" reached the disconnect
handler; JSON nested deep enough raised RecursionError inside the server).
Here anything that does not fit raises MalformedPacket, and the server closes
the connection that sent it, as Node does.
"""

from __future__ import annotations

from typing import Any

CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK = range(7)
CLIENT_TYPES = frozenset((CONNECT, DISCONNECT, EVENT, ACK, BINARY_EVENT, BINARY_ACK))
# The event names socket.io-parser refuses, because they would collide with the library's own.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
MAX_ATTACHMENTS = 10  # binary attachments one packet may announce
MAX_ID_DIGITS = 15  # an ack id is a safe integer in JavaScript


class MalformedPacket(ValueError):
    """Not a Socket.IO packet a client may send."""


class Decoded:
    """A decoded packet. (A plain class: mypyc compiles its __init__, not a dataclass's generated one.)"""

    __slots__ = ("kind", "namespace", "id", "data", "attachments")

    def __init__(self, kind: int, namespace: str, ack_id: int | None, data: Any, attachments: int = 0) -> None:
        self.kind = kind
        self.namespace = namespace
        self.id = ack_id
        self.data = data
        self.attachments = attachments


def decode(text: str, loads: Any) -> Decoded:
    """One packet from a client; `loads` is the JSON decoder (orjson's or the standard library's)."""
    if not text or not text[0].isdigit() or int(text[0]) not in CLIENT_TYPES:
        raise MalformedPacket("unknown packet type")
    kind = int(text[0])
    end = len(text)
    position = 1
    attachments = 0
    if kind in (BINARY_EVENT, BINARY_ACK):
        dash = text.find("-", position)
        count = text[position:dash]
        if dash < 0 or not count.isdigit() or len(count) > 3 or int(count) > MAX_ATTACHMENTS:
            raise MalformedPacket(f"a binary packet needs 0 to {MAX_ATTACHMENTS} attachments")
        attachments = int(count)
        position = dash + 1
    namespace = "/"
    if position < end and text[position] == "/":
        comma = text.find(",", position)
        stop = end if comma < 0 else comma
        namespace = text[position:stop].split("?", 1)[0]
        position = stop if comma < 0 else comma + 1
    ack_id = None
    digits = position
    while digits < end and text[digits].isdigit():
        digits += 1
    if digits > position:
        if digits - position > MAX_ID_DIGITS:
            raise MalformedPacket("an ack id is too long")
        ack_id = int(text[position:digits])
        position = digits
    data: Any = None
    has_data = position < end
    if has_data:
        try:
            data = loads(text[position:])
        except (ValueError, RecursionError):
            raise MalformedPacket("the data is not JSON") from None
    if not _valid(kind, data, has_data):
        raise MalformedPacket("the data does not fit the packet type")
    return Decoded(kind, namespace, ack_id, data, attachments)


def _valid(kind: int, data: Any, has_data: bool) -> bool:
    if kind == CONNECT:
        return not has_data or isinstance(data, dict)
    if kind == DISCONNECT:
        return not has_data
    if kind in (EVENT, BINARY_EVENT):
        # socket.io-parser also takes a number as an event name; python-socketio's handlers are named by strings.
        return isinstance(data, list) and bool(data) and isinstance(data[0], str) and data[0] not in RESERVED_EVENTS
    return isinstance(data, list)  # ACK, BINARY_ACK


def encode_event(namespace: str, event: str, args: list[Any], dumps: Any) -> str:
    """The text of an EVENT packet without binary data and without an ack id (what a room emit sends)."""
    prefix = "2" if namespace == "/" else f"2{namespace},"
    text: str = dumps([event, *args], separators=(",", ":"))
    return prefix + text


_SCALARS = frozenset((str, int, float, bool, type(None)))


def has_binary(value: Any) -> bool:
    """Whether `value` holds bytes anywhere (then it travels as a BINARY_EVENT with attachments)."""
    if type(value) in _SCALARS:
        return False
    if isinstance(value, (bytes, bytearray)):
        return True
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple)):
        return False
    return any(type(item) not in _SCALARS and has_binary(item) for item in value)
