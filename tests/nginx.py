"""nginx (Debian's) running deploy/nginx.conf in front of test server processes, on ports of the test's own."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from game_backend.storage.embedded import free_port

DEPLOYED = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
DEPLOYED_PORTS = (8001, 8002, 8003)
DEPLOYED_LISTEN = 8080


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found is None:
        reason = "nginx is needed for the load balancer tests (`make test` installs it with apt-get)"
        if os.environ.get("CI"):
            raise AssertionError(reason)
        pytest.skip(reason)
    return found


class Nginx:
    """deploy/nginx.conf with its three process ports and its listening port replaced, run in the foreground."""

    def __init__(self, directory: Path, process_ports: list[int]) -> None:
        assert len(process_ports) == len(DEPLOYED_PORTS)
        self.directory = directory
        self.port = free_port()
        site = DEPLOYED.read_text()
        for deployed, port in zip(DEPLOYED_PORTS, process_ports, strict=True):
            site = site.replace(f"127.0.0.1:{deployed};", f"127.0.0.1:{port};")
            site = site.replace(f"127.0.0.1:{deployed} ", f"127.0.0.1:{port} ")
        site, listens = re.subn(rf"listen {DEPLOYED_LISTEN};", f"listen 127.0.0.1:{self.port};", site)
        assert listens == 1, "deploy/nginx.conf no longer listens on the port this test replaces"
        (directory / "game_backend.conf").write_text(site)
        temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers that can use this test's directory
        (directory / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n  access_log {directory / 'access.log'};\n"
            f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
            f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
            f"  scgi_temp_path {temp['scgi']};\n  include {directory / 'game_backend.conf'};\n}}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        binary = nginx_binary()
        checked = subprocess.run([binary, "-t", "-p", str(self.directory), "-c", str(self.directory / "nginx.conf")],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen([binary, "-p", str(self.directory), "-c", str(self.directory / "nginx.conf")],
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not self._accepts():
            assert self.process.poll() is None, self.process.stderr and self.process.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        return self

    def _accepts(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
