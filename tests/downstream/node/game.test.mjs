// A brand-new Node project's own tests against game_backend, with the package game-backend-testing installed
// from its tarball (npm pack js/testing): run with `node --test`, GAME_BACKEND naming the server's command.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectPlayer, seatRoom, startServer } from "game-backend-testing";

let server;
const everyone = [];

before(async () => {
  server = await startServer();
});

after(async () => {
  everyone.forEach((player) => player.close());
  await server.stop();
});

async function seated(...nicknames) {
  const room = await seatRoom(server.url, ...nicknames);
  everyone.push(...room.players);
  return room;
}

test("two players chat", async () => {
  const { players: [ann, bob] } = await seated("ann", "bob");
  await ann.call("sendMessage", "hello bob");
  const message = await bob.expect("message");
  assert.equal(message.chat, "hello bob");
  assert.equal(message.user.nickname, "ann");
});

test("a round the server judges", async () => {
  const { code, players: [cid, dan] } = await seated("cid", "dan");
  await dan.call("ready");
  await cid.call("startGame", { code });
  const [notes] = await Promise.all([cid, dan].map((player) => player.load(code))); // each one's part of the chart
  await cid.syncClock();
  const startTime = await cid.expect(`allPlayersLoaded${code}`);
  const ack = await cid.pressOn(code, startTime, notes[0].time); // waits for the first note, then presses
  assert.deepEqual([ack.judgement, ack.score, ack.combo], ["perfect", 300, 1]);
  assert.deepEqual(await dan.expect("liveScorecid"), [300, 1, "select", "perfect"]);
  await cid.call("gameEnded", { code, nickname: "cid", score: 0 });
  await dan.call("gameEnded", { code, nickname: "dan", score: 0 });
  const result = await cid.expect(`allPlayersEnded${code}`);
  assert.deepEqual(result.players.map((player) => [player.nickname, player.score, player.judged]), [["cid", 300, true], ["dan", 0, false]]);
});

test("a full room is refused", async () => {
  const { code } = await seated("p1", "p2", "p3", "p4");
  const late = await connectPlayer(server.url, "late");
  everyone.push(late);
  await assert.rejects(late.call("joinRoom", { nickname: "late", code }), /ROOM_FULL/);
});
