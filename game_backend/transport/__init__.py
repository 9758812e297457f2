"""The transport: an Engine.IO v4 server of this project's own on aiohttp, with python-socketio on top.

server.py            requests, handshake, long-polling and WebSocket sessions, the interface python-socketio uses
session.py           one session: its outbox or WebSocket, heartbeat, upgrade and close
packets.py           Engine.IO packets and long-polling payloads
websocket.py         the WebSocket under a session: writes coalesced per loop turn, compression by setting
socketio_server.py   python-socketio's AsyncServer on it: the one seam between the two layers
socketio_packets.py  Socket.IO packets read as strictly as the Node server reads them
fanout.py            room emits encoded once for all recipients (the single-process client manager)
fastjson.py          orjson behind the `json` interface python-socketio calls
"""
