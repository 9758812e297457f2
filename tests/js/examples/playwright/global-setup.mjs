// One game_backend for the run; Playwright calls the function returned here when the run ends.
import { startServer } from "game-backend-testing";

export default async function globalSetup() {
  const server = await startServer();
  process.env.GAME_URL = server.url; // read by the tests (workers inherit it)
  return () => server.stop();
}
