// The room: four seats, instrument and ready, the host's song and start, chat, leave.

import { $, busy, el, fill } from "./dom.js";
import { INSTRUMENTS, NO_INSTRUMENT, instrumentName } from "./instruments.js";

const SEATS = 4;
const SCROLL_SLACK_PX = 48;
const SVG = "http://www.w3.org/2000/svg";

export function createRoomScreen(app) {
  const seats = $("#seats");
  const chatLog = $("#chat-log");
  const songSelect = $("#song");
  const instrumentSelect = $("#instrument");
  const readyButton = $("#ready");
  const startButton = $("#start");
  let room = null; // {code, hostName, players, song}
  let shownMessages = new Set();
  let stopListening = null;

  fill(instrumentSelect, [
    el("option", { value: NO_INSTRUMENT, disabled: true }, "Choose…"),
    ...Object.entries(INSTRUMENTS).map(([value, name]) => el("option", { value }, name)),
  ]);

  const me = () => room?.players.find((player) => player.nickname === app.session.nickname);
  const isHost = () => room?.hostName === app.session.nickname;

  $("#copy-code").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(room.code);
      app.notify(`Room code ${room.code} copied.`, "info");
    } catch {
      window.getSelection().selectAllChildren($("#room-code"));
      app.notify(`Copy the selected code by hand: ${room.code}.`, "info");
    }
  });

  $("#leave-room").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      try {
        await app.connection.call("leaveRoom", room.code);
      } catch (failure) {
        if (!["NOT_IN_ROOM", "ROOM_NOT_FOUND"].includes(failure.code)) return app.fail(failure);
      }
      app.go("lobby");
    }),
  );

  readyButton.addEventListener("click", () =>
    busy(readyButton, async () => {
      try {
        const ack = await app.connection.call("ready");
        setPlayer(app.session.nickname, { isReady: ack.isReady });
      } catch (failure) {
        app.fail(failure);
      }
    }),
  );

  instrumentSelect.addEventListener("change", async () => {
    const instrument = instrumentSelect.value;
    try {
      await app.connection.call("changeInstrument", { roomCode: room.code, instrument });
      setPlayer(app.session.nickname, { instrument });
    } catch (failure) {
      app.fail(failure);
      render();
    }
  });

  songSelect.addEventListener("change", async () => {
    try {
      const ack = await app.connection.call("changeSong", { roomCode: room.code, song: Number(songSelect.value) });
      room.song = ack.song?.number ?? Number(songSelect.value);
    } catch (failure) {
      app.fail(failure);
    }
    render();
  });

  startButton.addEventListener("click", () =>
    busy(startButton, async () => {
      try {
        await app.connection.call("startGame", { code: room.code });
      } catch (failure) {
        app.fail(failure);
      }
    }),
  );

  $("#chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#chat-text");
    const text = input.value.trim();
    if (!text) return;
    busy(event.currentTarget.querySelector("button"), async () => {
      try {
        const ack = await app.connection.call("sendMessage", text);
        input.value = "";
        if (ack.message) showMessage(ack.message);
      } catch (failure) {
        app.fail(failure);
      }
    });
  });

  function setPlayer(nickname, changes) {
    const player = room.players.find((each) => each.nickname === nickname);
    if (player) Object.assign(player, changes);
    render();
  }

  function setPlayers(players) {
    room.players = players;
    render();
  }

  function handlers(code) {
    return {
      [`players${code}`]: setPlayers,
      [`leftRoom${code}`]: setPlayers,
      readyStatus: ({ nickname, isReady }) => setPlayer(nickname, { isReady }),
      instChanged: ({ nickname, instrument }) => setPlayer(nickname, { instrument }),
      hostChanged: (nickname) => {
        room.hostName = nickname;
        render();
      },
      songChanged: (song) => {
        room.song = song.number;
        render();
      },
      message: showMessage,
      [`gameStarted${code}`]: (game) => app.go("round", { game, room: { ...room } }),
    };
  }

  function render() {
    const mine = me();
    const host = isHost();
    $("#room-code").textContent = room.code;
    fill(seats, Array.from({ length: SEATS }, (_, index) => seat(room.players[index])));

    instrumentSelect.value = mine?.instrument in INSTRUMENTS ? mine.instrument : NO_INSTRUMENT;
    readyButton.setAttribute("aria-pressed", String(Boolean(mine?.isReady)));
    readyButton.textContent = mine?.isReady ? "Ready ✓" : "I'm ready";

    songSelect.disabled = !host;
    songSelect.value = String(room.song);

    const everyoneReady = room.players.length > 0 && room.players.every((player) => player.isReady);
    startButton.hidden = !host;
    startButton.disabled = !everyoneReady;
    $("#start-hint").textContent = !host
      ? `Waiting for ${room.hostName} (the host) to start.`
      : everyoneReady
        ? "Everyone is ready: start when you like."
        : "The start button unlocks when everyone is ready.";
  }

  function seat(player) {
    if (!player) return el("li", { class: "seat empty" }, "Empty seat");
    const host = player.nickname === room.hostName;
    return el(
      "li",
      { class: `seat${player.nickname === app.session.nickname ? " me" : ""}`, dataset: { nickname: player.nickname } },
      el("span", { class: "name" }, host ? crown() : null, player.nickname),
      el("span", { class: "instrument" }, instrumentName(player.instrument)),
      el("span", { class: `state${player.isReady ? " ready" : ""}` }, player.isReady ? "Ready" : "Not ready"),
    );
  }

  function crown() {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 18");
    svg.setAttribute("class", "crown");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Host");
    const title = document.createElementNS(SVG, "title");
    title.textContent = "Host";
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", "M2 16h20l1-12-6 5-5-8-5 8-6-5z");
    svg.append(title, path);
    return svg;
  }

  function showMessage(message) {
    const id = message._id ?? `${message.createdAt}-${message.user?.nickname}-${message.chat}`;
    if (shownMessages.has(id)) return;
    shownMessages.add(id);
    const mine = message.user?.nickname === app.session.nickname;
    const atBottom = chatLog.scrollHeight - chatLog.scrollTop - chatLog.clientHeight < SCROLL_SLACK_PX;
    const when = new Date(message.createdAt);
    chatLog.append(
      el(
        "li",
        { class: mine ? "mine" : null },
        el("span", { class: "who" }, message.user?.nickname ?? "?"),
        el("span", { class: "text" }, message.chat),
        Number.isNaN(when.getTime())
          ? null
          : el("time", { datetime: when.toISOString() }, when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
      ),
    );
    if (atBottom || mine) chatLog.scrollTop = chatLog.scrollHeight;
  }

  function fillSongs() {
    fill(
      songSelect,
      app.songs.map((song) => el("option", { value: song.number }, `${song.title} · ${song.artist} (${song.bpm} bpm)`)),
    );
  }

  return {
    /** `joined` is the joinRoom ack: {room, messages}. */
    enter({ joined }) {
      room = structuredClone(joined.room);
      shownMessages = new Set();
      chatLog.replaceChildren();
      fillSongs();
      stopListening = app.connection.listen(handlers(room.code));
      render();
      for (const message of joined.messages ?? []) showMessage(message);
      chatLog.scrollTop = chatLog.scrollHeight;
    },
    leave() {
      stopListening?.();
      stopListening = null;
    },
    resume() {
      app.enterRoom(room.code, { returning: true });
    },
  };
}
