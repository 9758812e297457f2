// Who is signed in in this tab, and which room they sit in: kept in sessionStorage so that
// a reload keeps both, while two tabs can be two different players.

const SESSION_KEY = "beat-lobby.session";
const ROOM_KEY = "beat-lobby.room";

/** {token, nickname, userId, account} or null. */
export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    return session && typeof session.token === "string" ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession() {
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(ROOM_KEY);
}

export function loadRoomCode() {
  return sessionStorage.getItem(ROOM_KEY);
}

export function saveRoomCode(code) {
  if (code) sessionStorage.setItem(ROOM_KEY, code);
  else sessionStorage.removeItem(ROOM_KEY);
}
