"""Redis for the multi-process tests: the machine's own (REDIS_URL), or a private `redis-server` a test may stop."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import redis

from game_backend.storage.embedded import free_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    """The shared Redis answers; otherwise fail under CI, or skip saying how to run these tests."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            raise AssertionError(f"Redis at {REDIS_URL} is needed for the multi-process tests: {error}") from None
        pytest.skip(f"Redis at {REDIS_URL} is not running ({error}); start it to run the multi-process tests")


class PrivateRedis:
    """A `redis-server` of the test's own, on a free port, that the test can stop and start again."""

    def __init__(self, password: str | None = None, unix_socket: str | None = None,
                 tls: tuple[str, str] | None = None) -> None:
        self.password = password
        self.unix_socket = unix_socket  # a path to listen on as well
        self.tls = tls  # (certificate, key) files: then the port speaks TLS only
        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("redis-server is needed for the Redis outage tests (`make test` installs it)")
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        credentials = f":{self.password}@" if self.password else ""
        if self.tls:
            return f"rediss://{credentials}localhost:{self.port}/0?ssl_ca_certs={self.tls[0]}"
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [self.binary, *self._ports(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             *(["--requirepass", self.password] if self.password else []),
             *(["--unixsocket", self.unix_socket] if self.unix_socket else [])],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _ports(self) -> list[str]:
        if self.tls is None:
            return ["--port", str(self.port)]
        certificate, key = self.tls
        return ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", certificate, "--tls-key-file", key,
                "--tls-ca-cert-file", certificate, "--tls-auth-clients", "no"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
