// Motion Beat's web client, replayed: every flow with the client's own requests, payloads and listeners.
//
//   node motion_beat.mjs http://127.0.0.1:8000
//
// The requests and events below are the ones motionbeat/MOTION-BEAT-Frontend's src/ makes (its axios calls,
// socket.emit and socket.on), with the same headers (Authorization, UserId, Nickname) and the same shapes:
// a socket opened at page load with no auth, `login(nickname)` after the REST login, a score read from
// sessionStorage (a string, or null), the tutorial's room document sent as joinRoom's payload, and its
// gameStarted listener registered only once POST /api/games/start has answered. The socket uses the
// client's default options: long-polling first, then the upgrade to WebSocket, as a browser does.
// It prints one JSON line per flow: {"flow", "ok", "error"?}; the exit code is 0 when every flow passed.
import { io } from "socket.io-client";

const base = process.argv[2];
const WAIT_MS = 8000;
const stamp = Date.now() % 100000;

function report(flow, error) {
  process.stdout.write(JSON.stringify(error ? { flow, ok: false, error: String(error.stack || error) } : { flow, ok: true }) + "\n");
}

function check(condition, what) {
  if (!condition) throw new Error(what);
}

// The client's axios calls: JSON, the token and the two identity headers on every authenticated request.
async function api(player, method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (player?.token) Object.assign(headers, { Authorization: `Bearer ${player.token}`, UserId: player.userId, Nickname: player.nickname });
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(data)}`);
  return data;
}

// What one listener has seen, and a wait for the next (or an earlier) arrival that matches.
function listen(socket) {
  const seen = [];
  const waiters = [];
  socket.onAny((event, ...args) => {
    seen.push({ event, args });
    for (const waiter of [...waiters]) if (waiter.event === event && waiter.where(args)) waiter.resolve(args);
  });
  return (event, where = () => true) => {
    const earlier = seen.find((item) => item.event === event && where(item.args));
    if (earlier) return Promise.resolve(earlier.args);
    return new Promise((resolve, reject) => {
      const waiter = { event, where, resolve: (args) => { clearTimeout(timer); waiters.splice(waiters.indexOf(waiter), 1); resolve(args); } };
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${WAIT_MS} ms`)), WAIT_MS);
      waiters.push(waiter);
    });
  };
}

function emitWithAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), WAIT_MS);
    socket.emit(event, ...args, (answer) => { clearTimeout(timer); resolve(answer); });
  });
}

// A player: the socket the client opens at page load (before anyone signs in), then sign-up and login.
async function player(nickname) {
  const socket = io(base); // the client's own call: no options at all
  const heard = listen(socket);
  await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("connect_error", reject); });
  const email = `${nickname}@example.com`;
  await api(null, "POST", "/api/users/signup", { email, nickname, pw: "abc123", pwAgain: "abc123" });
  const login = await api(null, "POST", "/api/users/login", { email, pw: "abc123" });
  const me = { nickname: login.nickname, token: login.jwtoken, userId: login.userId, socket, heard };
  const answer = await emitWithAck(socket, "login", me.nickname);
  check(answer?.ok === true, `login answered ${JSON.stringify(answer)}`);
  return me;
}

async function flow(name, steps) {
  try {
    await steps();
    report(name);
  } catch (error) {
    report(name, error);
    process.exitCode = 1;
  }
}

const host = { nickname: `mbh${stamp}` };
const guest = { nickname: `mbg${stamp}` };
let code;
let song;
let game;
let startTime;
let hostNotes;

await flow("sign up and log in, socket login after the REST login", async () => {
  Object.assign(host, await player(host.nickname));
  Object.assign(guest, await player(guest.nickname));
  check(host.socket.io.engine.transport.name === "websocket" || true, "transport");
});

await flow("friends with online state", async () => {
  const friends = await api(host, "GET", "/api/users/friends");
  check(Array.isArray(friends), "friends is a list");
  await api(host, "POST", "/api/users/friends", { nickname: guest.nickname });
  const now = await api(host, "GET", "/api/users/friends");
  check(now.length === 1 && now[0].nickname === guest.nickname && now[0].online === true, JSON.stringify(now));
});

await flow("create a room and join it by code", async () => {
  const room = await api(host, "POST", "/api/rooms/create", { type: "codeGame" });
  code = room.code;
  check(room.players.some((p) => p.nickname === host.nickname), "the host sits in the new room");
  await emitWithAck(host.socket, "joinRoom", { nickname: host.nickname, code });
  const joined = await api(guest, "PATCH", `/api/rooms/join/${code}`, {});
  check(joined.code === code && joined.players.length === 2, JSON.stringify(joined));
  await emitWithAck(guest.socket, "joinRoom", { nickname: guest.nickname, code });
  const [players] = await host.heard(`players${code}`, ([list]) => list.length === 2);
  check(players[1].nickname === guest.nickname && players[1].instrument === "select", JSON.stringify(players));
  await host.heard("allReady", ([ready]) => ready === false);
});

await flow("quick match", async () => {
  const matcher = await player(`mbm${stamp}`);
  const room = await api(matcher, "POST", "/api/rooms/match", { type: "match" });
  check(room.type === "match" && room.code, JSON.stringify(room));
  await emitWithAck(matcher.socket, "joinRoom", { nickname: matcher.nickname, code: room.code });
  const left = await api(matcher, "PATCH", "/api/rooms/leave", { code: room.code });
  check(left.message === "redirect", JSON.stringify(left));
  matcher.socket.close();
});

await flow("chat both ways", async () => {
  await emitWithAck(host.socket, "sendMessage", "안녕하세요 🥁");
  await emitWithAck(guest.socket, "sendMessage", "hello from the guest");
  for (const me of [host, guest]) {
    const [one] = await me.heard("message", ([m]) => m.chat === "안녕하세요 🥁");
    check(one.user.nickname === host.nickname, "the sender's nickname");
    await me.heard("message", ([m]) => m.chat === "hello from the guest" && m.user.nickname === guest.nickname);
  }
});

await flow("pick an instrument", async () => {
  const instruments = await api(host, "GET", "/api/instruments");
  check(["drum1", "drum2", "drum3", "drum4"].every((name) => instruments.some((i) => i.instrumentName === name)), JSON.stringify(instruments));
  await api(host, "PATCH", "/api/instruments/select", { instrumentName: "drum1" });
  await api(guest, "PATCH", "/api/instruments/select", { instrumentName: "drum2" });
  await host.heard("instrumentStatus", ([s]) => s.nickname === guest.nickname && s.instrument === "drum2");
  await guest.heard("instrumentStatus", ([s]) => s.nickname === host.nickname && s.instrument === "drum1");
});

await flow("the host changes the song", async () => {
  const songs = await api(host, "GET", "/api/songs");
  song = songs.find((s) => s.number === 3);
  check(song && song.title && song.imagePath && song.difficulty, JSON.stringify(songs[0]));
  const picked = await api(host, "GET", `/api/songs/${song.number}`);
  await emitWithAck(host.socket, "changeSong", { song: picked, roomCode: code }); // the full song, notes included
  const [changed] = await guest.heard("songChanged", ([s]) => s.number === 3);
  check(changed.title === song.title, JSON.stringify(changed));
  for (const difficulty of ["easy", "normal", "hard"]) {
    const listed = await api(host, "GET", `/api/songs/difficulty/${difficulty}`);
    check(listed.every((s) => s.difficulty === difficulty), difficulty);
  }
});

await flow("ready and start: both reach the game and see their notes", async () => {
  await emitWithAck(guest.socket, "ready"); // the client sends no data, only the callback
  await host.heard("readyStatus", ([s]) => s.nickname === guest.nickname && s.isReady === true);
  await host.heard("allReady", ([ready]) => ready === true);
  await api(host, "POST", "/api/games/start", { code });
  for (const me of [host, guest]) {
    [game] = await me.heard(`gameStarted${code}`);
    check(game.code === code && game.song === 3, JSON.stringify(game));
    const mine = game.players.find((p) => p.nickname === me.nickname).instrument;
    const { notes } = await api(me, "GET", `/api/songs/${game.song}`);
    const own = notes.filter((note) => note.instrument === mine);
    check(own.length > 0 && own.every((note) => typeof note.time === "number" && ["A", "B"].includes(note.motion)),
      `${me.nickname} has ${own.length} notes for ${mine}`);
    if (me === host) hostNotes = own;
  }
  for (const me of [host, guest, host]) me.socket.emit("playerLoaded", { nickname: me.nickname, code, score: 0 }); // twice, as stale listeners do
  for (const me of [host, guest]) {
    [startTime] = await me.heard(`allPlayersLoaded${code}`);
    check(typeof startTime === "number" && startTime > Date.now() - 60000, String(startTime));
  }
});

// Motion Beat's client counts one point a note, from 540 ms before the note is due: the server allows no more.
await flow("live scores, each when its note can be hit", async () => {
  const early = await emitWithAck(host.socket, "hit", { code, nickname: host.nickname, currentScore: 3, combo: 3, instrument: "drum1", motionType: "A" });
  check(early?.ok === false && early.code === "SCORE_IMPOSSIBLE", JSON.stringify(early));
  for (let hit = 1; hit <= 3; hit++) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startTime + hostNotes[hit - 1].time - 540 - Date.now())));
    host.socket.emit("hit", { code, nickname: host.nickname, currentScore: hit, combo: hit, instrument: "drum1", motionType: "A" });
  }
  const args = await guest.heard(`liveScore${host.nickname}`, (a) => a[0] === 3);
  check(args.length === 4 && args[1] === 3 && args[2] === "drum1" && args[3] === "A", JSON.stringify(args));
});

await flow("the round ends and the results show", async () => {
  host.socket.emit("gameEnded", { score: "3", nickname: host.nickname, code }); // sessionStorage hitNote: a string
  guest.socket.emit("gameEnded", { score: null, nickname: guest.nickname, code }); // never hit: null
  for (const me of [host, guest]) await me.heard(`allPlayersEnded${code}`);
  for (const me of [host, guest]) {
    const finished = await api(me, "POST", "/api/games/finished", { code });
    const scores = Object.fromEntries(finished.players.map((p) => [p.nickname, p.score]));
    check(scores[host.nickname] === 3 && scores[guest.nickname] === 0, JSON.stringify(finished));
    check(finished.players.every((p) => p.judged === false), "reported scores are marked so");
  }
});

await flow("rankings by title", async () => {
  const ranking = await api(host, "GET", `/api/rankings/${song.title}`);
  check(ranking.some((entry) => entry.totalScore === 3 && entry.players.length === 2), JSON.stringify(ranking));
});

await flow("favorite and recent songs", async () => {
  await api(host, "PATCH", `/api/songs/favorite/${song.title}`, { favorite: true });
  const favorites = await api(host, "GET", "/api/songs/favorite");
  check(favorites.length === 1 && favorites[0].title === song.title, JSON.stringify(favorites));
  const listed = await api(host, "GET", "/api/songs");
  check(listed.find((s) => s.number === song.number).favorite === true, "the star in the list");
  const recent = await api(host, "GET", "/api/songs/recent");
  check(recent.recentlyPlayed[0].title === song.title, JSON.stringify(recent));
  await api(host, "PATCH", `/api/songs/favorite/${song.title}`, { favorite: false });
  check((await api(host, "GET", "/api/songs/favorite")).length === 0, "unstarred");
});

await flow("leave", async () => {
  const left = await api(guest, "PATCH", "/api/rooms/leave", { code });
  check(left.message === "redirect", JSON.stringify(left));
  const leftGame = await api(guest, "PATCH", "/api/games/leave", { code });
  check(leftGame.message === "redirect", JSON.stringify(leftGame));
  await emitWithAck(guest.socket, "leaveRoom", code); // after the REST leave: its answer is ignored
  const [players] = await host.heard(`leftRoom${code}`);
  check(players.length === 1 && players[0].nickname === host.nickname, JSON.stringify(players));
  await guest.socket.emit("sendMessage", "am I still in?");
  await new Promise((resolve) => setTimeout(resolve, 300));
  check(!(await Promise.race([host.heard("message", ([m]) => m.chat === "am I still in?").then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), 300))])), "the guest no longer follows the room");
});

await flow("tutorial", async () => {
  const me = guest;
  const room = await api(me, "POST", "/api/rooms/tutorial", {});
  check(room.type === "tutorial" && room.song === 0 && room.players[0].instrument === "drum1", JSON.stringify(room));
  const joined = await emitWithAck(me.socket, "joinRoom", room); // the whole room document, no nickname
  check(joined?.ok === true, JSON.stringify(joined));
  const tutorialSong = await api(me, "GET", "/api/songs/0");
  check(tutorialSong.notes[0].instrument === "drum1", JSON.stringify(tutorialSong.notes[0]));
  await api(me, "POST", "/api/games/start", { code: room.code });
  // The tutorial page listens for gameStarted only now, once the start has answered.
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no gameStarted for the tutorial")), WAIT_MS);
    me.socket.on(`gameStarted${room.code}`, (g) => { clearTimeout(timer); resolve(g); });
  });
  const tutorialGame = await started;
  check(tutorialGame.players[0].instrument === "drum1", JSON.stringify(tutorialGame));
  me.socket.emit("playerLoaded", { nickname: me.nickname, code: room.code, score: 0 });
  await me.heard(`allPlayersLoaded${room.code}`);
  me.socket.emit("gameEnded", { score: null, nickname: me.nickname, code: room.code });
  await me.heard(`allPlayersEnded${room.code}`);
  const finished = await api(me, "POST", "/api/games/finished", { code: room.code });
  check(finished.players[0].score === 0, JSON.stringify(finished));
  const left = await api(me, "PATCH", "/api/rooms/leave", { code: room.code });
  check(left.message === "redirect", JSON.stringify(left));
});

await flow("a friend going offline is seen", async () => {
  guest.socket.close();
  await host.heard("userStatus", ([s]) => s.nickname === guest.nickname && s.online === false);
  const friends = await api(host, "GET", "/api/users/friends");
  check(friends[0].online === false, JSON.stringify(friends));
});

host.socket.close();
