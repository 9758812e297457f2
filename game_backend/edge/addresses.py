"""Which address a request comes from, for per-address limits.

Behind a reverse proxy every peer address is the proxy's. Only when the peer is
one of TRUSTED_PROXIES is X-Forwarded-For believed, and then only the part the
trusted proxies appended: the rightmost address that is not one of them.
Anything a client writes into the header itself stays to the left and is ignored.
"""

from __future__ import annotations

from aiohttp import web

UNKNOWN = "unknown"


def client_address(request: web.BaseRequest, trusted_proxies: tuple[str, ...]) -> str:
    peer = request.remote or UNKNOWN
    if peer not in trusted_proxies:
        return peer
    forwarded = [
        address.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for address in header.split(",")
        if address.strip()
    ]
    for address in reversed(forwarded):
        if address not in trusted_proxies:
            return address
    return peer
