"""A token bucket per client address, for the routes that cost a bcrypt hash (sign-up and login).

bcrypt is slow on purpose: without a limit, one client posting logins as fast
as it can would keep every core busy hashing (and guess passwords at leisure).
Buckets are kept per process for at most `capacity` addresses; the least
recently seen is forgotten first, which only ever gives it a fresh burst.
"""

from __future__ import annotations

from collections import OrderedDict

from ..realtime.ratelimit import TokenBucket

CAPACITY = 10_000


class AddressThrottle:
    def __init__(self, rate: float, burst: int, capacity: int = CAPACITY) -> None:
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
