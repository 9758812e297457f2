// game-backend-testing: game_backend for a Node test suite (Mocha, Jest, Playwright, node --test).
//
//   import { startServer, connectPlayer, seatRoom } from "game-backend-testing";
//
//   const server = await startServer();                  // `game-backend --ephemeral --port 0`: its own database
//   const { code, players: [ann, bob] } = await seatRoom(server.url, "ann", "bob");
//   await ann.call("sendMessage", "hi");                 // resolves with the ack; rejects when it is refused
//   const message = await bob.expect("message");         // the payload, or a rejection listing what did arrive
//   await server.stop();
//
// The command is `game-backend` on the PATH, or the GAME_BACKEND environment variable (a path relative to the
// current folder works too). The server's log stays out of the test output unless asked for (`log: true`, or
// GAME_BACKEND_LOG=1); a server that does not start says why, with its log's last lines. The server exits by
// itself if this process dies (its stdin closes).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const WAIT = 5000;
const KEPT_LOG_LINES = 40;

/**
 * @typedef {object} Server
 * @property {string} url   the server's base URL, such as `http://127.0.0.1:41025`
 * @property {number} pid   its process id
 * @property {() => Promise<number | string>} stop   stop it (SIGTERM) and wait until it has exited
 */

/** The command to run: GAME_BACKEND (a path relative to the current folder resolved) or `game-backend`. */
function serverCommand(command) {
  const named = command ?? process.env.GAME_BACKEND ?? "game-backend";
  const local = resolvePath(named);
  return named.includes("/") && existsSync(local) ? local : named;
}

/**
 * Start `game-backend --ephemeral` on a free port, with an in-memory database of its own.
 * @param {object} [options]
 * @param {string} [options.command]   the command (default: GAME_BACKEND, or `game-backend` on the PATH)
 * @param {string[]} [options.args]    more arguments
 * @param {Record<string, string>} [options.env]   settings, by their variables (`{HIT_RATE: "5"}`)
 * @param {boolean} [options.log]      show the server's log (default: GAME_BACKEND_LOG=1, otherwise hidden)
 * @param {number} [options.timeout]   milliseconds to wait for it to serve
 * @returns {Promise<Server>}
 */
export function startServer({ command, args = [], env = {}, log = process.env.GAME_BACKEND_LOG === "1",
                              timeout = 30000 } = {}) {
  const program = serverCommand(command);
  const child = spawn(program, ["--ephemeral", "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", log ? "inherit" : "pipe"],
  });
  const kept = [];
  if (!log) {
    createInterface({ input: child.stderr }).on("line", (line) => {
      kept.push(line);
      if (kept.length > KEPT_LOG_LINES) kept.shift();
    });
  }
  const said = () => (kept.length ? `; its log ended with:\n${kept.join("\n")}` : "");
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${program} did not start within ${timeout} ms${said()}`)),
                             timeout);
    child.once("error", (error) => reject(new Error(`could not run ${program}: ${error.message} (put ` +
                                                    "game-backend on the PATH, or name it in GAME_BACKEND)")));
    exited.then((code) => reject(new Error(`${program} exited (${code}) before serving${said()}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const { url, pid } = JSON.parse(line);
      resolve({
        url,
        pid,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    });
  });
}

/**
 * A guest sign-in.
 * @param {string} url   the server's base URL
 * @param {string} nickname
 * @returns {Promise<string>} the token for the handshake's `auth`
 */
export async function signIn(url, nickname) {
  const response = await fetch(`${url}/api/users/guest`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ nickname }),
  });
  const body = await response.json();
  if (response.status !== 201) throw new Error(`the guest sign-in of ${nickname} was refused: ${JSON.stringify(body)}`);
  return body.jwtoken;
}

/** One socket.io-client that records every event it receives (`received`: `[event, ...args]`, in order). */
export class Player {
  constructor(nickname, token, socket) {
    this.nickname = nickname;
    this.token = token;
    this.socket = socket;
    this.received = []; // [event, ...args], in the order they arrived
    this.waiting = new Set();
    this.clockOffset = 0; // ms to add to Date.now() to read the server's clock (syncClock)
    socket.onAny((event, ...args) => {
      this.received.push([event, ...args]);
      for (const check of this.waiting) check();
    });
  }

  /** Emit `event` with `payload` and resolve with the ack; reject when it is `{ok: false}` or never comes. */
  async call(event, payload, { timeout = WAIT } = {}) {
    let ack;
    try {
      ack = await this.socket.timeout(timeout).emitWithAck(event, payload);
    } catch {
      throw new Error(`${this.nickname}'s ${event} got no ack within ${timeout} ms`);
    }
    if (ack && ack.ok === false) throw new Error(`${this.nickname}'s ${event} was refused: ${JSON.stringify(ack)}`);
    return ack;
  }

  /** The payload of the first `event` (received already or later) that satisfies `where`: its one argument,
   * or an array of its arguments when it has several. Rejects with the events received instead. */
  expect(event, { where = () => true, timeout = WAIT } = {}) {
    const payloadOf = ([, ...args]) => (args.length === 1 ? args[0] : args);
    const found = () => this.received.find((entry) => entry[0] === event && where(payloadOf(entry)));
    return new Promise((resolve, reject) => {
      const check = () => {
        const entry = found();
        if (!entry) return;
        this.waiting.delete(check);
        clearTimeout(timer);
        resolve(payloadOf(entry));
      };
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        const seen = this.received.slice(-10).map(([name, ...args]) => `${name} ${JSON.stringify(args)}`);
        reject(new Error(`${this.nickname} received no ${event} within ${timeout} ms; it received: ` +
                         (seen.length ? seen.join("; ") : "no event at all")));
      }, timeout);
      this.waiting.add(check);
      check();
    });
  }

  /** Measure the server's clock as NTP does: `samples` clockSync round trips, the offset of the fastest. */
  async syncClock(samples = 5) {
    let fastest = null;
    for (let sample = 0; sample < samples; sample++) {
      const sent = Date.now();
      const { serverTime } = await this.call("clockSync", { clientTime: sent });
      const back = Date.now();
      if (fastest === null || back - sent < fastest.roundTrip) fastest = { roundTrip: back - sent, offset: serverTime - (sent + back) / 2 };
    }
    this.clockOffset = fastest.offset;
    return this.clockOffset;
  }

  /** The server's clock as this player reads it (epoch ms), once syncClock has measured the offset. */
  serverNow() {
    return Date.now() + this.clockOffset;
  }

  /** playerLoaded; resolves with this player's part of the chart: `[{time, motion}]`, ms from the start. */
  async load(code) {
    return (await this.call("playerLoaded", { nickname: this.nickname, code })).part.notes;
  }

  /** Press `at` ms into the round that started at `startTime` (by default now, on the synced clock); resolves
   * with the server's judgement `{ok, judgement, score, combo}`. */
  press(code, startTime, { at = this.serverNow() - startTime, ...fields } = {}) {
    return this.call("press", { code, at, ...fields });
  }

  /** Wait until `noteTime` ms into the round (on the synced clock), then press. */
  async pressOn(code, startTime, noteTime, fields = {}) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startTime + noteTime - this.serverNow())));
    return this.press(code, startTime, fields);
  }

  close() {
    this.socket.disconnect();
  }
}

/**
 * Sign a guest in and connect a socket.io-client for it.
 * @param {string} url   the server's base URL
 * @param {string} nickname
 * @param {object} [options]   socket.io-client's options (`{transports: ["polling"]}`)
 * @returns {Promise<Player>} once connected
 */
export async function connectPlayer(url, nickname, options = {}) {
  const token = await signIn(url, nickname);
  const socket = io(url, { auth: { token }, reconnection: false, forceNew: true, ...options });
  const player = new Player(nickname, token, socket);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (error) => reject(new Error(`${nickname} could not connect: ${error.message}`)));
  });
  return player;
}

/**
 * A new room with these players seated, the first hosting.
 * @param {string} url   the server's base URL
 * @param {...string} nicknames
 * @returns {Promise<{code: string, players: Player[]}>} once every player sees every other seated
 */
export async function seatRoom(url, ...nicknames) {
  const players = [];
  for (const nickname of nicknames) players.push(await connectPlayer(url, nickname));
  const response = await fetch(`${url}/api/rooms/create`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${players[0].token}` },
    body: JSON.stringify({}),
  });
  const room = await response.json();
  if (response.status !== 201) throw new Error(`${nicknames[0]} could not create a room: ${JSON.stringify(room)}`);
  for (const player of players) await player.call("joinRoom", { nickname: player.nickname, code: room.code });
  await Promise.all(players.map((player) =>
    player.expect(`players${room.code}`, { where: (seated) => seated.length === players.length })));
  return { code: room.code, players };
}
