// What a person reads when something fails: one sentence per error code.

const FOR_PEOPLE = {
  ROOM_FULL: "That room is full: four players are already in it.",
  ROOM_NOT_FOUND: "There is no room with that code. Check it and try again.",
  NOT_HOST: "Only the host can do that.",
  NOT_ALL_READY: "Everyone must be ready before the game can start.",
  GAME_IN_PROGRESS: "That room is playing a round right now. Try again when it is over.",
  NICKNAME_TAKEN: "That nickname is taken. Pick another one.",
  NOT_IN_ROOM: "You are not in that room any more.",
  FORBIDDEN: "You can only act for yourself.",
  RATE_LIMITED: "Too many actions at once. Slow down a little.",
  UNAVAILABLE: "The server's database is not answering. Try again in a moment.",
  INTERNAL: "Something went wrong on the server. Try again.",
  TIMEOUT: "The server did not answer in time. Check your connection and try again.",
  OFFLINE: "You are not connected to the server right now. Wait for the connection to come back.",
};

/** A failure with a machine code (as in the protocol's acks) and the server's own words. */
export class Failure extends Error {
  constructor(code, message) {
    super(message);
    this.name = "Failure";
    this.code = code;
  }
}

/** The sentence to show for `failure`; `ownWords` lists codes whose server message says it better. */
export function readable(failure, ownWords = []) {
  const code = failure?.code;
  if (code && FOR_PEOPLE[code] && !ownWords.includes(code)) return FOR_PEOPLE[code];
  let text = failure?.message || "Something went wrong. Try again.";
  // "invalid body: pw: a password is at least 8 characters" -> "A password is at least 8 characters."
  if (code === "INVALID_PAYLOAD") text = text.replace(/^invalid [^:]*: ([\w.]+: )?/i, "");
  return sentence(text);
}

function sentence(text) {
  const trimmed = String(text).trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
