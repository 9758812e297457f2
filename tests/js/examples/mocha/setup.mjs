// Mocha global fixtures: one game_backend for the whole run (mocha --require setup.mjs).
import { startServer } from "game-backend-testing";

let server;

export async function mochaGlobalSetup() {
  server = await startServer();
  process.env.GAME_URL = server.url;
}

export async function mochaGlobalTeardown() {
  await server.stop();
}
