// A player in the browser meets a scripted player (socket.io-client) in a room and they chat.
import { expect, test } from "@playwright/test";
import { connectPlayer } from "game-backend-testing";

test("a guest creates a room, another player joins by its code, and they chat", async ({ page }) => {
  const url = process.env.GAME_URL;
  await page.goto(url);
  await page.locator("#guest-nickname").fill("ann");
  await page.locator("#guest-form button[type=submit]").click();
  await page.locator("#create-room").click();
  const code = page.locator("#room-code");
  await expect(code).toHaveText(/^[A-Z0-9]{6}$/);

  const bob = await connectPlayer(url, "bob");
  try {
    await bob.call("joinRoom", { nickname: "bob", code: await code.innerText() });
    await expect(page.locator('#seats li[data-nickname="bob"]')).toBeVisible();

    await bob.call("sendMessage", "hi ann");
    await expect(page.locator("#chat-log")).toContainText("hi ann");
    await page.locator("#chat-text").fill("hi bob");
    await page.locator("#chat-text").press("Enter");
    expect((await bob.expect("message", { where: (message) => message.user.nickname === "ann" })).chat).toBe("hi bob");
  } finally {
    bob.close();
  }
});
