// One scripted socket.io-client player, driven by tests/js_players.py.
//
//   node player.mjs '{"url": "...", "token": "...", "client": "v4", "transports": ["websocket"]}'
//
// It reads one JSON command per line on stdin and prints one JSON record per
// line on stdout: every event it receives (with its arguments exactly as the
// listener got them), every ack (with the callback's arguments), and what
// happens to the connection (open, connect, upgrade, connect_error, disconnect).
// Commands:
//   {"id": 1, "op": "emit", "event": "joinRoom", "args": [...], "ack": true}
//   {"id": 2, "op": "transport"}    -> {"type": "reply", "id": 2, "transport": "websocket"}
//   {"id": 3, "op": "drop"}         the connection is lost (the engine closes, as when the network goes)
//   {"id": 4, "op": "connect"}      connect again (with "reconnection": false in the config); an "offset"
//                                   field replaces the last one received, for connection state recovery
// End of input disconnects; Node then exits once nothing is pending.
import { createInterface } from "node:readline";
import { io as ioV4 } from "socket.io-client";
import { io as ioV3 } from "socket.io-client-v3";

const CLIENTS = { v4: ioV4, v3: ioV3 };
const config = JSON.parse(process.argv[2]);
const io = CLIENTS[config.client ?? "v4"];

function report(record) {
  process.stdout.write(JSON.stringify(record) + "\n");
}

const options = { auth: { token: config.token }, reconnection: config.reconnection ?? false, forceNew: true };
if (config.transports) options.transports = config.transports;
if (config.extraHeaders) options.extraHeaders = config.extraHeaders;
const socket = io(config.url, options);

function transportName() {
  return socket.io.engine ? socket.io.engine.transport.name : null;
}

// The manager opens the engine before the Socket.IO CONNECT; the engine only
// starts probing for an upgrade after "open", so this listener sees it.
socket.io.on("open", () => {
  report({ type: "open", transport: transportName() });
  socket.io.engine.on("upgrade", (transport) => {
    report({ type: "upgrade", transport: transport.name, current: transportName() });
  });
});
socket.on("connect", () =>
  report({ type: "connect", id: socket.id, transport: transportName(), recovered: socket.recovered ?? null }));
socket.on("connect_error", (error) => report({ type: "connect_error", message: error.message }));
socket.on("disconnect", (reason) => report({ type: "disconnect", reason }));
socket.onAny((event, ...args) => report({ type: "event", event, args }));

const commands = {
  emit(command) {
    const args = command.args ?? [];
    if (command.ack) {
      socket.emit(command.event, ...args, (...ackArgs) => report({ type: "ack", id: command.id, args: ackArgs }));
    } else {
      socket.emit(command.event, ...args);
    }
  },
  transport(command) {
    report({ type: "reply", id: command.id, transport: transportName() });
  },
  drop() {
    socket.io.engine.close();
  },
  connect(command) {
    if (command.offset !== undefined) socket._lastOffset = command.offset;
    socket.connect();
  },
};

const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  const run = commands[command.op];
  if (run) run(command);
  else report({ type: "reply", id: command.id, error: `unknown op ${command.op}` });
});
input.on("close", () => socket.disconnect());
