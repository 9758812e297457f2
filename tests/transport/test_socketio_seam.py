"""The seam between python-socketio and this project's Engine.IO server: it fails loudly if a python-socketio release moves it.

SocketServer overrides or calls a few of python-socketio's own methods (SEAM);
python-socketio in turn calls its Engine.IO server through `eio.<name>`. A
release that renames one of those methods, changes its parameters, or starts
calling an Engine.IO method that EngineServer lacks, fails here first.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import socketio

from game_backend.transport.engineio.server import EngineServer
from game_backend.transport.socketio.server import SEAM, SocketServer

SOCKETIO_DIR = Path(socketio.__file__).parent
# The modules of python-socketio that run on a server using this project's client managers.
SERVER_MODULES = ("base_server.py", "async_server.py", "base_manager.py", "async_manager.py")


@pytest.mark.parametrize("name", sorted(SEAM))
def test_each_method_of_the_seam_exists_in_python_socketio_with_its_parameters(name: str) -> None:
    method = getattr(socketio.AsyncServer, name, None)
    assert method is not None, f"python-socketio no longer has AsyncServer.{name}: update transport/socketio/server.py"
    parameters = tuple(inspect.signature(method).parameters)
    assert parameters == SEAM[name], f"AsyncServer.{name}{parameters} changed: update transport/socketio/server.py"


def test_every_engineio_call_python_socketio_makes_is_provided() -> None:
    called: set[str] = set()
    for module in SERVER_MODULES:
        called |= set(re.findall(r"\beio\.(\w+)", (SOCKETIO_DIR / module).read_text()))
    engine = EngineServer()
    missing = sorted(name for name in called if not hasattr(engine, name))
    assert not missing, f"python-socketio calls Engine.IO methods EngineServer lacks: {missing}"


def test_the_server_is_built_on_the_projects_engine() -> None:
    sio = SocketServer()
    assert type(sio.eio) is EngineServer
    assert sio.async_mode == "aiohttp"
