"""The transport: an Engine.IO v4 server of this project's own on aiohttp, with python-socketio on top.

Cut where the protocols are cut:

engineio/server.py        requests, handshake, long-polling and WebSocket sessions, the interface python-socketio
                          uses
engineio/session.py       one session: its outbox or WebSocket, heartbeat, upgrade and close
engineio/session_ids.py   session ids: `<node>.<token>`, made and read in one place
engineio/packets.py       Engine.IO packets and long-polling payloads
engineio/websocket.py     the WebSocket under a session: writes coalesced per loop turn, compression by setting
socketio/server.py        python-socketio's AsyncServer on it: the one seam between the two layers
socketio/packets.py       Socket.IO packets read as strictly as the Node server reads them
socketio/fanout.py        room emits encoded once for all recipients (the single-process client manager)
socketio/fastjson.py      orjson behind the `json` interface python-socketio calls
cluster/redis_manager.py  rooms shared by several processes: a Redis channel per room
cluster/redis_wire.py     its two connections to Redis, speaking RESP themselves
"""
