// The lobby: joinable rooms (refreshed every few seconds while shown), create, join by code, quick match.

import { request } from "./api.js";
import { $, busy, el, fill } from "./dom.js";

const REFRESH_MS = 3000;

export function createLobbyScreen(app) {
  const list = $("#room-list");
  const empty = $("#room-list-empty");
  let timer = null;
  let active = false;
  let lastShown = null;

  $("#create-room").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      try {
        const room = await request("POST", "/api/rooms/create", { body: { type: "codeGame" }, token: app.session.token });
        await app.enterRoom(room.code);
      } catch (failure) {
        app.fail(failure);
      }
    }),
  );

  $("#quick-match").addEventListener("click", (event) =>
    busy(event.currentTarget, async () => {
      try {
        const room = await request("POST", "/api/rooms/match", { token: app.session.token });
        await app.enterRoom(room.code);
      } catch (failure) {
        app.fail(failure);
      }
    }),
  );

  $("#join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("#join-code").value.trim().toUpperCase();
    if (!/^[A-Z0-9]{6}$/.test(code)) return app.notify("A room code is 6 letters or digits.");
    busy(event.currentTarget.querySelector("button"), () => app.enterRoom(code));
  });

  $("#open-rankings").addEventListener("click", () => app.go("rankings"));
  document.addEventListener("visibilitychange", () => {
    if (active && !document.hidden) refresh();
  });

  async function refresh() {
    let rooms;
    try {
      rooms = await request("GET", "/api/rooms");
    } catch {
      return; // the connection banner tells the person; the next refresh tries again
    }
    // Redraw only on a change, so a Join button does not lose the keyboard focus every few seconds.
    const shown = JSON.stringify(rooms.map((room) => [room.code, room.hostName, room.song, room.playerCount]));
    if (shown === lastShown) return;
    lastShown = shown;
    empty.hidden = rooms.length > 0;
    fill(list, rooms.map(roomItem));
  }

  function roomItem(room) {
    const join = el("button", { type: "button", onclick: (event) => busy(event.currentTarget, () => app.enterRoom(room.code)) }, "Join");
    return el(
      "li",
      { dataset: { code: room.code } },
      el("span", { class: "code" }, room.code),
      el("span", { class: "room-info" }, `${room.hostName} · ${app.songTitle(room.song)}`),
      el("span", { class: "count", title: "players" }, `${room.playerCount}/${room.maxPlayers ?? 4}`),
      join,
    );
  }

  function schedule() {
    clearTimeout(timer);
    if (!active) return;
    timer = setTimeout(async () => {
      if (!document.hidden) await refresh();
      schedule();
    }, REFRESH_MS);
  }

  return {
    enter() {
      active = true;
      lastShown = null;
      $("#join-code").value = "";
      refresh();
      schedule();
    },
    leave() {
      active = false;
      clearTimeout(timer);
    },
    resume() {
      refresh();
    },
  };
}
