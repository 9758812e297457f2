// Load generator for `make bench`, on Node's socket.io-client.
//
// It reads one JSON command per line on stdin and answers one JSON line on
// stdout, so bench/run.py can keep the same clients connected across the
// steps of a ramp and run two generator processes side by side. Commands:
//
//   {"cmd": "setup", "url", "rooms", "prefix", "instrument", "motionType"}
//       signs in rooms*4 guests over REST, makes the rooms (host creates, three
//       join), connects each over WebSocket with auth {token}, sends joinRoom,
//       ready (all but the host), startGame (the host) and playerLoaded.
//   {"cmd": "relay", "rate", "seconds", "drain"}
//       every client sends `hit` `rate` times a second for `seconds`; each is
//       relayed by the server to the 3 others as liveScore<nickname>. Answers
//       sent, expected (sent*3), received, a latency histogram and own CPU.
//   {"cmd": "chat", "clients", "seconds"}
//       `clients` clients each send sendMessage, wait for the ack, send the next.
//   {"cmd": "idle", "url", "count"}  opens `count` more anonymous idle sockets.
//   {"cmd": "storm", "url", "prefix", "count", "seconds"}  signs in `count` guests over REST, then opens
//       their sockets (auth {token}) spread evenly over `seconds`, all at once in flight; answers how many
//       connected, how many failed and the first error, then closes them.
//   {"cmd": "seat", "url", "prefix", "count", "concurrency"}  seats `count` players in rooms of 4, `concurrency`
//       at a time, as a game's players arrive: guest sign-in, create (the first of a room) or join over REST,
//       a socket with auth {token}, then joinRoom. Answers how many were seated, the failures and the first
//       error, the whole time and each joinRoom ack's latency (ms); the sockets stay open until "unseat".
//   Both setup and idle take "urls" too: sockets then go to each URL in turn.
//   {"cmd": "close_idle"}, {"cmd": "close"}, {"cmd": "quit"}
//
// One-way latency is measured inside this process: the sender's clock is
// kept per (sender, sequence number), and the step and sequence number travel
// in motionType ("<motionType><step>-<seq>"): a hit reports a score of 0,
// which the chart always allows. Every wait is bounded in time.
"use strict";

const readline = require("node:readline");
const { performance } = require("node:perf_hooks");
const { io } = require("socket.io-client");

const BIN_MS = 0.05; // latency histogram resolution
const BINS = 200000; // 0.05 ms .. 10 s
const RING = 1 << 16; // send times kept per client
const TICK_MS = 2;
const CONNECT_TIMEOUT_MS = 20000;
const CONCURRENCY = 50;

const clients = []; // {nickname, code, socket, seq, sentAt: Float64Array}
let idleSockets = [];
let step = 0;
let measuring = null; // the current relay step's counters
const hitFields = { instrument: "drum", motionType: "hit" };

function reply(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function rest(url, method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await withTimeout(
    fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
    CONNECT_TIMEOUT_MS,
    `${method} ${path}`,
  );
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

function connect(url, auth) {
  const socket = io(url, { transports: ["websocket"], auth, reconnection: false, forceNew: true, timeout: CONNECT_TIMEOUT_MS });
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (error) => reject(error));
    }),
    CONNECT_TIMEOUT_MS,
    "connect",
  ).catch((error) => {
    socket.close();
    throw error;
  });
}

async function inBatches(items, size, work) {
  const results = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

async function call(socket, event, ...args) {
  const ack = await withTimeout(socket.emitWithAck(event, ...args), CONNECT_TIMEOUT_MS, event);
  if (!ack || ack.ok !== true) throw new Error(`${event}: ${JSON.stringify(ack)}`);
  return ack;
}

// Several worker processes: REST goes to the first, each player's socket to the next worker in turn, so
// the players of a room sit on different processes and every relay crosses Redis; with "placement": "room",
// a room's four players share a worker (what a load balancer routing by room would do).
function socketUrl(command, n) {
  const urls = command.urls && command.urls.length ? command.urls : [command.url];
  return urls[n % urls.length];
}

async function makeRoom(command, index) {
  const nicknames = [0, 1, 2, 3].map((seat) => `${command.prefix}r${index}s${seat}`);
  const tokens = [];
  for (const nickname of nicknames) {
    tokens.push((await rest(command.url, "POST", "/api/users/guest", { nickname })).jwtoken);
  }
  const { code } = await rest(command.url, "POST", "/api/rooms/create", { type: "codeGame" }, tokens[0]);
  for (let seat = 1; seat < 4; seat++) await rest(command.url, "PATCH", `/api/rooms/join/${code}`, undefined, tokens[seat]);
  const room = [];
  for (let seat = 0; seat < 4; seat++) {
    const slot = command.placement === "room" ? index : index * 4 + seat;
    const socket = await connect(socketUrl(command, slot), { token: tokens[seat] });
    room.push({ nickname: nicknames[seat], code, socket, seq: 0, sentAt: new Float64Array(RING) });
    await call(socket, "joinRoom", { nickname: nicknames[seat], code });
    if (seat > 0) await call(socket, "ready");
  }
  // A round: the host starts it, every player says it has loaded; from then on `hit` is relayed.
  await call(room[0].socket, "startGame", { code });
  for (const player of room) await call(player.socket, "playerLoaded", { nickname: player.nickname, code });
  for (const receiver of room) {
    for (const sender of room) {
      if (sender !== receiver) receiver.socket.on(`liveScore${sender.nickname}`, (score, combo, instrument, motion) => received(sender, motion));
    }
  }
  return room;
}

function received(sender, motion) {
  const m = measuring;
  const [step, seq] = String(motion).slice(hitFields.motionType.length).split("-").map(Number);
  if (m === null || step !== m.step) {
    if (m !== null) m.stray++;
    return;
  }
  const ms = performance.now() - sender.sentAt[seq];
  m.hist[Math.min(BINS - 1, Math.floor(ms / BIN_MS))]++;
  m.received++;
  m.lastReceive = performance.now();
}

async function setup(command) {
  const started = performance.now();
  const rooms = await inBatches([...Array(command.rooms).keys()], 10, (index) => makeRoom(command, index));
  for (const room of rooms) clients.push(...room);
  hitFields.instrument = command.instrument || hitFields.instrument;
  hitFields.motionType = command.motionType || hitFields.motionType;
  return { clients: clients.length, ms: Math.round(performance.now() - started) };
}

function sendHit(client) {
  const seq = client.seq++ & (RING - 1);
  client.sentAt[seq] = performance.now();
  client.socket.emit("hit", {
    code: client.code,
    nickname: client.nickname,
    currentScore: 0,
    combo: 0,
    instrument: hitFields.instrument,
    motionType: `${hitFields.motionType}${step}-${seq}`,
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function relay(command) {
  step = (step % 1000) + 1;
  const m = { step, hist: new Int32Array(BINS), received: 0, stray: 0, lastReceive: performance.now() };
  measuring = m;
  const rate = command.rate;
  const count = clients.length;
  const sent = new Array(count).fill(0);
  let total = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + command.seconds * 1000;
  let lagMax = 0;
  let expectedTick = t0;
  for (;;) {
    const now = performance.now();
    lagMax = Math.max(lagMax, now - expectedTick);
    if (now >= end) break;
    const elapsed = (now - t0) / 1000;
    for (let i = 0; i < count; i++) {
      const due = Math.floor(elapsed * rate + i / count) - sent[i];
      for (let k = 0; k < due; k++) sendHit(clients[i]);
      if (due > 0) {
        sent[i] += due;
        total += due;
      }
    }
    expectedTick = performance.now() + TICK_MS;
    await sleep(TICK_MS);
  }
  const sendWall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const expected = total * 3;
  const drainEnd = performance.now() + (command.drain || 2) * 1000;
  while (m.received < expected && performance.now() < drainEnd && performance.now() - m.lastReceive < 500) await sleep(20);
  measuring = null;
  const hist = [];
  for (let bin = 0; bin < BINS; bin++) if (m.hist[bin] > 0) hist.push([bin, m.hist[bin]]);
  return {
    sent: total,
    expected,
    received: m.received,
    stray: m.stray,
    seconds: sendWall,
    binMs: BIN_MS,
    hist,
    cpu: (cpu.user + cpu.system) / 1e6 / sendWall,
    lagMaxMs: lagMax,
  };
}

async function chat(command) {
  const chosen = clients.slice(0, Math.min(command.clients, clients.length));
  const latencies = [];
  const failures = {};
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + command.seconds * 1000;
  let n = 0;
  await Promise.all(
    chosen.map(async (client) => {
      while (performance.now() < end) {
        const sentAt = performance.now();
        let ack;
        try {
          ack = await client.socket.timeout(5000).emitWithAck("sendMessage", `bench message ${n++}`);
        } catch {
          ack = { ok: false, code: "TIMEOUT" };
        }
        if (ack && ack.ok === true) latencies.push(performance.now() - sentAt);
        else failures[(ack && ack.code) || "UNKNOWN"] = (failures[(ack && ack.code) || "UNKNOWN"] || 0) + 1;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { acked: latencies.length, failures, seconds: wall, latencies, cpu: (cpu.user + cpu.system) / 1e6 / wall };
}

async function idle(command) {
  const started = performance.now();
  let failed = 0;
  let firstError = null;
  await inBatches([...Array(command.count).keys()], CONCURRENCY, async (n) => {
    try {
      idleSockets.push(await connect(socketUrl(command, n), {}));
    } catch (error) {
      failed++;
      firstError = firstError || String(error && error.message);
    }
  });
  return { open: idleSockets.length, failed, firstError, ms: Math.round(performance.now() - started) };
}

let seatedSockets = [];

async function seat(command) {
  const codes = new Map(); // room index -> a promise of its code, settled by the room's first player
  const joinMs = [];
  let failed = 0;
  let firstError = null;
  const started = performance.now();
  const arrive = async (n) => {
    const room = Math.floor(n / 4);
    const nickname = `${command.prefix}r${room}s${n % 4}`;
    let created;
    if (n % 4 === 0) codes.set(room, new Promise((resolve) => { created = resolve; }));
    try {
      const token = (await rest(command.url, "POST", "/api/users/guest", { nickname })).jwtoken;
      let code;
      if (created) {
        code = (await rest(command.url, "POST", "/api/rooms/create", { type: "codeGame" }, token)).code;
        created(code);
      } else {
        code = await codes.get(room);
        if (code === null) throw new Error(`room ${room} was never created`);
        await rest(command.url, "PATCH", `/api/rooms/join/${code}`, undefined, token);
      }
      const socket = await connect(command.url, { token });
      seatedSockets.push(socket);
      const sent = performance.now();
      await call(socket, "joinRoom", { nickname, code });
      joinMs.push(performance.now() - sent);
    } catch (error) {
      if (created) created(null);
      failed++;
      firstError = firstError || String(error && error.message);
    }
  };
  // A pool of `concurrency` players in flight; a room's first player starts before the other three.
  let next = 0;
  await Promise.all([...Array(command.concurrency).keys()].map(async () => {
    while (next < command.count) await arrive(next++);
  }));
  return { seated: joinMs.length, failed, firstError, ms: Math.round(performance.now() - started), joinMs };
}

async function storm(command) {
  const tokens = await inBatches([...Array(command.count).keys()], CONCURRENCY, async (n) =>
    (await rest(command.url, "POST", "/api/users/guest", { nickname: `${command.prefix}${n}` })).jwtoken);
  const gap = (command.seconds * 1000) / command.count;
  const started = performance.now();
  let failed = 0;
  let firstError = null;
  const sockets = [];
  await Promise.all(tokens.map(async (token, n) => {
    await new Promise((resolve) => setTimeout(resolve, n * gap));
    try {
      sockets.push(await connect(command.url, { token }));
    } catch (error) {
      failed++;
      firstError = firstError || String(error && error.message);
    }
  }));
  const ms = Math.round(performance.now() - started);
  closeAll(sockets);
  return { connected: sockets.length, failed, firstError, ms };
}

function closeAll(sockets) {
  for (const socket of sockets) socket.close();
  return { closed: sockets.length };
}

const commands = {
  setup,
  relay,
  chat,
  idle,
  storm,
  seat,
  unseat: async () => {
    const answer = closeAll(seatedSockets);
    seatedSockets = [];
    return answer;
  },
  close_idle: async () => {
    const answer = closeAll(idleSockets);
    idleSockets = [];
    return answer;
  },
  close: async () => closeAll(clients.splice(0).map((client) => client.socket)),
};

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    const command = JSON.parse(line);
    if (command.cmd === "quit") {
      closeAll(idleSockets);
      closeAll(clients.map((client) => client.socket));
      reply({ ok: true });
      setTimeout(() => process.exit(0), 100);
      return;
    }
    try {
      reply({ ok: true, ...(await commands[command.cmd](command)) });
    } catch (error) {
      reply({ ok: false, error: String((error && error.stack) || error) });
    }
  });
});
lines.on("close", () => process.exit(0));
