"""Rate limits: a token bucket (`rate` events per second on average, up to `burst` at once), and one per client address.

A connection has its own buckets (events, chat, hits). Sign-up and login, which
cost a bcrypt hash each, share a bucket per client address (AddressThrottle):
without a limit, one client posting logins as fast as it can would keep every
core busy hashing (and guess passwords at leisure). Buckets are kept per
process for at most `capacity` addresses; the least recently seen is forgotten
first, which only ever gives it a fresh burst.
"""

from __future__ import annotations

import time
from collections import OrderedDict

ADDRESS_CAPACITY = 10_000


class TokenBucket:
    __slots__ = ("rate", "burst", "_tokens", "_stamp", "rejected")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self.rejected = 0

    def take(self) -> bool:
        """Spend one token if there is one; count the refusal otherwise."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.rejected += 1
        return False


class AddressThrottle:
    def __init__(self, rate: float, burst: int, capacity: int = ADDRESS_CAPACITY) -> None:
        self.rate = rate
        self.burst = burst
        self.capacity = capacity
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def allow(self, address: str) -> bool:
        """Spend one of `address`'s tokens; False when it has none left."""
        bucket = self._buckets.pop(address, None) or TokenBucket(self.rate, self.burst)
        self._buckets[address] = bucket
        if len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)
        return bucket.take()
