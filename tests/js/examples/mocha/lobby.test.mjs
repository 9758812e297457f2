// A Node project's Mocha suite against game_backend: run with
//   cd tests/js && GAME_BACKEND=../../.venv/bin/game-backend npx mocha --require examples/mocha/setup.mjs examples/mocha/lobby.test.mjs
import assert from "node:assert/strict";
import { seatRoom } from "game-backend-testing";

describe("a lobby", function () {
  this.timeout(20000);
  let players = [];

  afterEach(() => players.forEach((player) => player.close()));

  it("seats two players who chat and get ready", async () => {
    const room = await seatRoom(process.env.GAME_URL, "ann", "bob");
    players = room.players;
    const [ann, bob] = players;

    await ann.call("sendMessage", "hello bob");
    const message = await bob.expect("message");
    assert.equal(message.chat, "hello bob");
    assert.equal(message.user.nickname, "ann");

    const ack = await bob.call("ready");
    assert.equal(ack.allReady, true);
    assert.equal(await ann.expect("allReady", { where: (all) => all === true }), true);
  });

  it("refuses a room code that does not exist, with a reason", async () => {
    const room = await seatRoom(process.env.GAME_URL, "cid");
    players = room.players;
    await assert.rejects(players[0].call("joinRoom", { nickname: "cid", code: "ZZZZZZ" }), /ROOM_NOT_FOUND/);
  });
});
