"""Per-address limits counted in Redis (with REDIS_URL), so that N processes allow what one process would.

Two limits: the sign-up/login token bucket (AUTH_RATE, AUTH_BURST) and the
connection cap (MAX_CONNECTIONS_PER_IP). Each check is one Lua script, so two
processes checking at once cannot both take the last token or the last slot.

Connections are counted per process (`<prefix>:conn:<address>`, a hash of
NODE_ID to count), and a process's counts stand only while its liveness key
(`<prefix>:alive:<NODE_ID>`, renewed by the sweep) lives: a process killed
with its sockets open stops counting once its key expires.

When Redis does not answer, each check answers None and the caller counts
in-process instead, as without Redis; the outage is logged once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS: the address's bucket. ARGV: rate, burst. Returns 1 (a token taken) or 0.
TAKE_TOKEN = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or t
tokens = math.min(burst, tokens + math.max(0, t - stamp) * rate)
local taken = 0
if tokens >= 1 then tokens = tokens - 1; taken = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(t))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return taken
"""

# KEYS: the address's connection counts. ARGV: this node, the cap, the liveness key prefix. Returns 1 or 0.
OPEN_CONNECTION = """
local counts = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #counts, 2 do
  if redis.call('EXISTS', ARGV[3] .. counts[i]) == 1 or counts[i] == ARGV[1] then
    total = total + tonumber(counts[i + 1])
  else
    redis.call('HDEL', KEYS[1], counts[i])
  end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""

# KEYS: the address's connection counts. ARGV: this node.
CLOSE_CONNECTION = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
"""


class SharedLimits:
    def __init__(self, url: str, prefix: str, node: str) -> None:
        self.prefix = prefix
        self.node = node
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._take_token = self._redis.register_script(TAKE_TOKEN)
        self._open = self._redis.register_script(OPEN_CONNECTION)
        self._close = self._redis.register_script(CLOSE_CONNECTION)
        self._failing_since: float | None = None

    async def take_auth_token(self, address: str, rate: float, burst: int) -> bool | None:
        """Spend one of `address`'s sign-in tokens; None when Redis does not answer."""
        return await self._run(self._take_token, [f"{self.prefix}:auth:{address}"], [rate, burst])

    async def open_connection(self, address: str, cap: int) -> bool | None:
        """Count a connection from `address` unless it has `cap` open on all processes together."""
        return await self._run(self._open, [f"{self.prefix}:conn:{address}"], [self.node, cap, f"{self.prefix}:alive:"])

    async def close_connection(self, address: str) -> None:
        await self._run(self._close, [f"{self.prefix}:conn:{address}"], [self.node])

    async def keep_alive(self, seconds: float) -> None:
        """This process's connection counts stand for `seconds` more (the sweep renews it)."""
        try:
            await self._redis.set(f"{self.prefix}:alive:{self.node}", 1, px=int(seconds * 1000))
        except (RedisError, OSError) as error:
            self._failed(error)

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> bool | None:
        try:
            result = bool(await script(keys=keys, args=args))
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        if self._failing_since is not None:
            log.warning("Redis answers again: per-address limits are shared across processes again")
            self._failing_since = None
        return result

    def _failed(self, error: Exception) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            log.warning("Redis did not answer (%s): per-address limits are counted by this process alone", error)

    async def close(self) -> None:
        await self._redis.aclose()
