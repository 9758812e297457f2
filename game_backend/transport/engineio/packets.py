"""Engine.IO v4 packets and long-polling payloads, as the protocol's README defines them.

A packet on the wire is its type digit followed by its data ("4hello" is a
message, "2" a ping). Binary messages travel as binary WebSocket frames, or,
inside a long-polling payload, as "b" plus base64. A payload joins packets
with the record separator, 0x1e. Outgoing packets are kept already encoded:
text packets as `str`, binary messages as `bytes`.
"""

from __future__ import annotations

import base64
import binascii

OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP = "0", "1", "2", "3", "4", "5", "6"
PACKET_TYPES = frozenset((OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP))
RECORD_SEPARATOR = "\x1e"
BASE64_PREFIX = "b"

Encoded = str | bytes  # a text packet, or the bytes of a binary message
Decoded = tuple[str, str | bytes]  # (packet type, data)


class MalformedPacket(ValueError):
    """Data that is not an Engine.IO packet: the protocol closes the session that sent it."""


def decode_packet(raw: Encoded) -> Decoded:
    """One packet from a WebSocket frame or a payload entry."""
    if not isinstance(raw, str):
        return MESSAGE, bytes(raw)
    if not raw:
        raise MalformedPacket("an empty packet")
    kind = raw[0]
    if kind == BASE64_PREFIX:
        try:
            return MESSAGE, base64.b64decode(raw[1:], validate=True)
        except binascii.Error:
            raise MalformedPacket("a binary packet that is not base64") from None
    if kind not in PACKET_TYPES:
        raise MalformedPacket(f"unknown packet type {kind!r}")
    return kind, raw[1:]


def decode_payload(body: str) -> list[Decoded]:
    """Every packet of a long-polling POST body; one malformed packet spoils the whole payload."""
    return [decode_packet(raw) for raw in body.split(RECORD_SEPARATOR)]


def encode_payload(packets: list[Encoded]) -> str:
    """A long-polling GET answer: text packets as they are, binary ones in base64."""
    return RECORD_SEPARATOR.join(
        packet if isinstance(packet, str) else BASE64_PREFIX + base64.b64encode(packet).decode("ascii")
        for packet in packets
    )
