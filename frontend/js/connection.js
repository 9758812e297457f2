// The Socket.IO connection: opened with the sign-in token, reconnected by the client library,
// and `call` for events with an ack, which resolves to the ack or rejects with a Failure.

import { Failure } from "./messages.js";

const ACK_TIMEOUT_MS = 8000;
const CONNECT_WAIT_MS = 8000;

export class Connection {
  /**
   * @param {string} token the sign-in token, sent in the handshake as auth {token}
   * @param {{lost: Function, back: Function, refused: Function}} on what to do when the
   *   connection drops, comes back after a drop, or is refused (bad or expired token)
   */
  constructor(token, on) {
    if (typeof window.io !== "function") {
      throw new Failure("NO_CLIENT", "the Socket.IO client did not load from /socket.io/socket.io.js; reload the page");
    }
    this.dropped = false;
    this.socket = window.io({ auth: { token }, reconnectionDelay: 500, reconnectionDelayMax: 3000 });
    this.socket.on("connect", () => {
      if (this.dropped) {
        this.dropped = false;
        on.back();
      }
    });
    this.socket.on("disconnect", (reason) => {
      if (reason === "io client disconnect") return;
      this.dropped = true;
      on.lost();
      // The server closed this connection on purpose; the client library does not retry that by itself.
      if (reason === "io server disconnect") this.socket.connect();
    });
    this.socket.on("connect_error", (error) => {
      if (this.socket.active) {
        this.dropped = true;
        on.lost();
      } else {
        on.refused(error.message);
      }
    });
  }

  /** Emit `event` with `args` and wait for its ack; a failed ack rejects with its code and message. */
  async call(event, ...args) {
    await this.connected();
    return new Promise((resolve, reject) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, ...args, (error, ack) => {
        if (error) reject(new Failure("TIMEOUT", "the server did not answer"));
        else if (!ack || ack.ok !== true) reject(new Failure(ack?.code ?? "INTERNAL", ack?.error ?? "the server refused"));
        else resolve(ack);
      });
    });
  }

  /**
   * Emit `event` with an ack and resolve to a Failure if the server refused it, or to null.
   * For round events whose ack the protocol leaves optional: a missing ack is not an error.
   */
  tell(event, payload) {
    return new Promise((resolve) => {
      if (!this.socket.connected) return resolve(new Failure("OFFLINE", "not connected"));
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (error, ack) => {
        resolve(!error && ack && ack.ok === false ? new Failure(ack.code, ack.error) : null);
      });
    });
  }

  /** Emit without waiting for an answer (the round's hits); dropped while disconnected. */
  send(event, payload) {
    if (this.socket.connected) this.socket.volatile.emit(event, payload);
  }

  /** Resolves once connected; rejects with OFFLINE when that takes too long. */
  connected() {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off("connect", done);
        reject(new Failure("OFFLINE", "not connected"));
      }, CONNECT_WAIT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.once("connect", done);
    });
  }

  /** Route every incoming event to `handlers[name]`; returns a function that stops it. */
  listen(handlers) {
    const route = (name, ...args) => {
      const handler = typeof handlers === "function" ? handlers(name) : handlers[name];
      if (handler) handler(...args);
    };
    this.socket.onAny(route);
    return () => this.socket.offAny(route);
  }

  close() {
    this.socket.disconnect();
  }
}
