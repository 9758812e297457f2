// The Node.js peer for `make bench`: a minimal socket.io 4 server with the
// same relay semantics as game_backend, on the same port layout, so one load
// generator drives both.
//
// What it keeps: guest sign-in over REST, rooms of at most 4 joined over REST
// and then with the `joinRoom` event, a round (`ready`, `startGame`,
// `playerLoaded`), `hit` checked (own nickname, the room whose round the
// socket loaded into, integer score and combo, short names) and relayed as
// `liveScore<nickname>` (four arguments) to the room except the sender, and
// `sendMessage` with an ack, broadcast to the room. What it leaves out: a
// database. Rooms and chat live in memory (chat in a bounded per-room list),
// so its chat figures are an in-memory store, not persistence; the bench
// table says so.
//
// With --redis URL it is one of several workers (`bench/run.py --scale-out`):
// rooms are shared through socket.io's sharded Redis adapter (Redis 7
// sharded pub/sub, a channel per room, subscribed while a local socket is in
// it), the Node counterpart of game_backend's REDIS_URL, and sign-ins and
// rooms are kept in that Redis, since REST reaches one worker and a room's
// sockets others. Chat stays in each worker's memory.
//
// Usage: node node_server.js --port 8100 [--host 127.0.0.1] [--redis redis://127.0.0.1:6379/0]
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const HOST = option("host", "127.0.0.1");
const PORT = Number(option("port", "8100"));
const REDIS_URL = option("redis", "");
const MAX_PLAYERS = 4;
const CHAT_KEPT = 200;
const CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const chats = new Map(); // code -> [message]

// Sign-ins (token -> nickname) and rooms (code -> {code, hostName, players: [{nickname, instrument, isReady}],
// gameState}): in this process's memory, or in Redis shared by every worker.
function memoryStore() {
  const tokens = new Map();
  const rooms = new Map();
  return {
    nicknameOf: async (token) => tokens.get(token),
    signIn: async (token, nickname) => void tokens.set(token, nickname),
    room: async (code) => rooms.get(code),
    saveRoom: async (room) => void rooms.set(room.code, room),
  };
}

function redisStore(client) {
  return {
    nicknameOf: async (token) => (await client.get(`bench:token:${token}`)) ?? undefined,
    signIn: async (token, nickname) => void (await client.set(`bench:token:${token}`, nickname, { EX: 3600 })),
    room: async (code) => {
      const text = await client.get(`bench:room:${code}`);
      return text === null ? undefined : JSON.parse(text);
    },
    saveRoom: async (room) => void (await client.set(`bench:room:${room.code}`, JSON.stringify(room), { EX: 3600 })),
  };
}

let store = memoryStore();

async function newCode() {
  for (;;) {
    let code = "";
    for (const byte of crypto.randomBytes(6)) code += CODE_ALPHABET[byte % CODE_ALPHABET.length];
    if ((await store.room(code)) === undefined) return code;
  }
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= 65536) chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {});
      } catch {
        resolve(null);
      }
    });
  });
}

async function caller(req) {
  const header = req.headers.authorization || "";
  return header.startsWith("Bearer ") ? store.nicknameOf(header.slice(7)) : undefined;
}

function seat(room, nickname) {
  if (room.players.some((p) => p.nickname === nickname)) return true;
  if (room.players.length >= MAX_PLAYERS) return false;
  room.players.push({ nickname, instrument: "select", isReady: false });
  return true;
}

async function rest(req, res) {
  const url = new URL(req.url, "http://bench");
  if (req.method === "GET" && url.pathname === "/healthz") return send(res, 200, { ok: true });
  if (req.method === "POST" && url.pathname === "/api/users/guest") {
    const body = await readJson(req);
    const nickname = body && typeof body.nickname === "string" ? body.nickname : "";
    if (!/^[A-Za-z0-9_-]{1,15}$/.test(nickname)) return send(res, 400, { message: "bad nickname", code: "INVALID_PAYLOAD" });
    const jwtoken = crypto.randomBytes(16).toString("hex");
    await store.signIn(jwtoken, nickname);
    return send(res, 201, { jwtoken, nickname, userId: nickname });
  }
  const nickname = await caller(req);
  if (nickname === undefined) return send(res, 401, { message: "sign in first", code: "NOT_AUTHENTICATED" });
  if (req.method === "POST" && url.pathname === "/api/rooms/create") {
    const code = await newCode();
    const room = { code, hostName: nickname, players: [{ nickname, instrument: "select", isReady: true }] };
    await store.saveRoom(room);
    return send(res, 201, room);
  }
  const join = url.pathname.match(/^\/api\/rooms\/join\/([A-Z0-9]{6})$/);
  if (req.method === "PATCH" && join) {
    const room = await store.room(join[1]);
    if (!room) return send(res, 404, { message: "no such room", code: "ROOM_NOT_FOUND" });
    if (!seat(room, nickname)) return send(res, 409, { message: "the room is full", code: "ROOM_FULL" });
    await store.saveRoom(room);
    return send(res, 200, room);
  }
  return send(res, 404, { message: "not found", code: "NOT_FOUND" });
}

const httpServer = http.createServer((req, res) => {
  rest(req, res).catch(() => send(res, 500, { message: "internal", code: "INTERNAL" }));
});
const io = new Server(httpServer, { cors: { origin: "*" } });

const fail = (code, error) => ({ ok: false, error, code });
const isInt = (value) => Number.isInteger(value) && value >= 0;
const isName = (value) => typeof value === "string" && value.length >= 1 && value.length <= 40;

io.use(async (socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  socket.data.nickname = token === undefined ? undefined : await store.nicknameOf(token);
  next(token !== undefined && socket.data.nickname === undefined ? new Error("unknown token") : undefined);
});

io.on("connection", (socket) => {
  const nickname = socket.data.nickname;
  let current = null; // the room this socket joined
  let playing = null; // the room whose round this socket loaded into

  socket.on("joinRoom", async (payload, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    if (nickname === undefined) return reply(fail("NOT_AUTHENTICATED", "sign in first"));
    if (!payload || payload.nickname !== nickname || typeof payload.code !== "string") {
      return reply(fail("FORBIDDEN", "you can only act as yourself"));
    }
    const room = await store.room(payload.code);
    if (!room) return reply(fail("ROOM_NOT_FOUND", "no such room"));
    if (!seat(room, nickname)) return reply(fail("ROOM_FULL", "the room is full"));
    await store.saveRoom(room);
    if (current !== null && current !== room.code) {
      socket.leave(current);
      playing = null;
    }
    socket.join(room.code);
    current = room.code;
    io.to(room.code).emit(`players${room.code}`, room.players);
    reply({ ok: true, room, messages: chats.get(room.code) || [] });
  });

  socket.on("ready", async (ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const room = current === null ? undefined : await store.room(current);
    if (!room) return reply(fail("NOT_IN_ROOM", "join a room first"));
    const me = room.players.find((p) => p.nickname === nickname);
    me.isReady = !me.isReady;
    await store.saveRoom(room);
    io.to(room.code).emit("readyStatus", { nickname, isReady: me.isReady });
    reply({ ok: true, isReady: me.isReady });
  });

  socket.on("startGame", async (payload, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const room = payload && typeof payload.code === "string" ? await store.room(payload.code) : undefined;
    if (!room) return reply(fail("ROOM_NOT_FOUND", "no such room"));
    if (room.hostName !== nickname) return reply(fail("NOT_HOST", "only the host starts the game"));
    if (!room.players.every((p) => p.isReady)) return reply(fail("NOT_ALL_READY", "everyone must be ready"));
    room.gameState = "playing";
    await store.saveRoom(room);
    const game = { code: room.code, players: room.players.map((p) => ({ nickname: p.nickname, score: 0 })), gameState: "playing" };
    io.to(room.code).emit(`gameStarted${room.code}`, game);
    reply({ ok: true, game });
  });

  socket.on("playerLoaded", async (payload, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    if (!payload || payload.nickname !== nickname || payload.code !== current) return reply(fail("NOT_IN_ROOM", "join it first"));
    if ((await store.room(current)).gameState !== "playing") return reply(fail("NOT_PLAYING", "no round is playing"));
    playing = current;
    reply({ ok: true });
  });

  socket.on("hit", (payload) => {
    if (nickname === undefined || playing === null || !payload || typeof payload !== "object") return;
    const { code, currentScore, combo, instrument, motionType } = payload;
    if (payload.nickname !== nickname || code !== playing) return;
    if (!isInt(currentScore) || !isInt(combo) || !isName(instrument) || !isName(motionType)) return;
    socket.to(playing).emit(`liveScore${nickname}`, currentScore, combo, instrument, motionType);
  });

  socket.on("sendMessage", (text, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    if (nickname === undefined) return reply(fail("NOT_AUTHENTICATED", "sign in first"));
    if (current === null) return reply(fail("NOT_IN_ROOM", "join a room first"));
    if (typeof text !== "string" || text.trim() === "" || text.length > 500) {
      return reply(fail("INVALID_PAYLOAD", "a message is 1 to 500 characters"));
    }
    const message = {
      _id: crypto.randomUUID(),
      chat: text,
      user: { id: nickname, nickname },
      chatroom: current,
      createdAt: new Date().toISOString(),
    };
    const kept = chats.get(current) || [];
    kept.push(message);
    if (kept.length > CHAT_KEPT) kept.shift();
    chats.set(current, kept);
    io.to(current).emit("message", message);
    reply({ ok: true, message });
  });
});

async function main() {
  if (REDIS_URL) {
    const { createClient } = require("redis");
    const { createShardedAdapter } = require("@socket.io/redis-adapter");
    const publisher = createClient({ url: REDIS_URL });
    const subscriber = publisher.duplicate();
    await Promise.all([publisher.connect(), subscriber.connect()]);
    io.adapter(createShardedAdapter(publisher, subscriber, { subscriptionMode: "dynamic" }));
    store = redisStore(publisher);
  }
  httpServer.listen(PORT, HOST, () => {
    console.log(`node socket.io peer serving on http://${HOST}:${PORT}${REDIS_URL ? ` (rooms through ${REDIS_URL})` : ""}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    io.close();
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
