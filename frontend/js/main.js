// The page's entry point: one `app` object that the screens share, and the switch between screens.

import { request } from "./api.js";
import { Connection } from "./connection.js";
import { $ } from "./dom.js";
import { createLobbyScreen } from "./lobby.js";
import { readable } from "./messages.js";
import { createRankingsScreen } from "./rankings.js";
import { createRoomScreen } from "./room.js";
import { createRoundScreen } from "./round.js";
import { forgetSession, loadRoomCode, loadSession, saveRoomCode, saveSession } from "./session.js";
import { createSignInScreen } from "./signin.js";

const NOTICE_MS = 8000;
const IN_A_ROOM = new Set(["room", "round"]);

const app = {
  session: null,
  connection: null,
  songs: [],
  screen: null,

  /** Show screen `name`, leaving the current one first. */
  go(name, params = {}) {
    screens[app.screen]?.leave();
    for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== `screen-${name}`;
    app.screen = name;
    if (!IN_A_ROOM.has(name)) saveRoomCode(null);
    screens[name].enter(params);
  },

  /** Show a sentence to the person: an error (the default) or "info". */
  notify(text, kind = "error") {
    const notice = $("#notice");
    $("#notice-text").textContent = text;
    notice.className = kind === "info" ? "notice info" : "notice";
    notice.hidden = false;
    clearTimeout(app.noticeTimer);
    app.noticeTimer = setTimeout(() => (notice.hidden = true), NOTICE_MS);
  },

  /** Show a failed ack or REST call as a readable sentence. */
  fail: (failure, ownWords = []) => app.notify(readable(failure, ownWords)),

  async signIn(session) {
    let connection;
    try {
      connection = new Connection(session.token, { lost: connectionLost, back: connectionBack, refused });
    } catch (failure) {
      app.fail(failure);
      return;
    }
    app.session = session;
    app.connection = connection;
    saveSession(session);
    $("#me-name").textContent = session.nickname;
    $("#whoami").hidden = false;
    try {
      app.songs = await request("GET", "/api/songs");
    } catch (failure) {
      app.fail(failure);
    }
    const code = loadRoomCode();
    if (code) await app.enterRoom(code, { returning: true });
    else app.go("lobby");
  },

  async signOut(message) {
    const { session, connection } = app;
    app.session = null;
    app.connection = null;
    connection?.close();
    forgetSession();
    $("#whoami").hidden = true;
    $("#connection").hidden = true;
    app.go("signin");
    if (message) app.notify(message);
    // Revokes the token and frees the seat on the server; the page has already forgotten both.
    if (session) await request("PATCH", "/api/users/logout", { token: session.token }).catch(() => null);
  },

  /**
   * Take a seat in room `code` and show it. `returning` is for coming back to the room after a
   * reload or a lost connection, when the room may have closed meanwhile.
   */
  async enterRoom(code, { returning = false } = {}) {
    try {
      const joined = await app.connection.call("joinRoom", { nickname: app.session.nickname, code });
      saveRoomCode(joined.room.code);
      app.go("room", { joined });
    } catch (failure) {
      if (returning && failure.code === "ROOM_NOT_FOUND") app.notify(`Room ${code} closed while you were away.`);
      else app.fail(failure);
      if (app.screen !== "lobby") app.go("lobby");
    }
  },

  songTitle(number) {
    return app.songs.find((song) => song.number === number)?.title ?? `Song ${number}`;
  },
};

function connectionLost() {
  $("#connection").hidden = false;
}

function connectionBack() {
  $("#connection").hidden = true;
  screens[app.screen]?.resume?.();
}

function refused(message) {
  app.signOut(`You were signed out (${message}). Sign in again.`);
}

const screens = {
  signin: createSignInScreen(app),
  lobby: createLobbyScreen(app),
  room: createRoomScreen(app),
  round: createRoundScreen(app),
  rankings: createRankingsScreen(app),
};

$("#notice-close").addEventListener("click", () => ($("#notice").hidden = true));
$("#sign-out").addEventListener("click", () => app.signOut());

const saved = loadSession();
if (saved) app.signIn(saved);
else app.go("signin");
