"""socket.io-client in Chromium, in each of its three modes: the default upgrade, WebSocket only, long-polling only.

The page is the lobby page (it loads /socket.io/socket.io.js); the test opens
its own socket in it, signs in as a guest, joins a room and chats, and reads
back which transport the client ended on.
"""

from __future__ import annotations

from typing import Any

import pytest

SCRIPT = """
async ({ transports, nickname }) => {
  const post = (path, body, token) => fetch(path, { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) } })
    .then((r) => r.json());
  const { jwtoken } = await post("/api/users/guest", { nickname });
  const { code } = await post("/api/rooms/create", { type: "codeGame" }, jwtoken);
  const options = { auth: { token: jwtoken }, forceNew: true, reconnection: false };
  if (transports) options.transports = transports;
  const socket = io(options);
  await new Promise((resolve, reject) => { socket.on("connect", resolve); socket.on("connect_error", reject); });
  const joined = await socket.emitWithAck("joinRoom", { nickname, code });
  const heard = new Promise((resolve) => socket.on("message", (m) => resolve(m.chat)));
  const sent = await socket.emitWithAck("sendMessage", "안녕 from " + (transports || ["default"]).join("+"));
  const chat = await heard;
  if (!transports) {  // the default mode starts on long-polling; wait for its upgrade
    for (let i = 0; i < 100 && socket.io.engine.transport.name !== "websocket"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const transport = socket.io.engine.transport.name;
  socket.close();
  return { joined: joined.ok, sent: sent.ok, chat, transport };
}
"""


@pytest.mark.parametrize(("transports", "ends_on"), [
    (None, "websocket"), (["websocket"], "websocket"), (["polling"], "polling"),
], ids=["default upgrade", "websocket only", "polling only"])
async def test_each_client_mode_plays_in_chromium(open_page: Any, server: str, transports: list[str] | None,
                                                  ends_on: str) -> None:
    player = await open_page(server)
    nickname = f"chrome_{ends_on[:4]}_{len(transports or [])}"
    outcome = await player.page.evaluate(SCRIPT, {"transports": transports, "nickname": nickname})
    assert outcome["joined"] and outcome["sent"]
    assert outcome["chat"].startswith("안녕 from ")
    assert outcome["transport"] == ends_on
    assert not player.console_errors
