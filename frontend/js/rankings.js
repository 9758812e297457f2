// Rankings per song: the best results first, from GET /api/rankings/{number}; equal totals share a rank.
// An entry is "judged" when the server scored every player's presses, "reported" when a client gave its own score.

import { request } from "./api.js";
import { $, el, fill } from "./dom.js";

export function createRankingsScreen(app) {
  const select = $("#rankings-song");
  const body = $("#rankings-table tbody");
  const empty = $("#rankings-empty");
  let shown = 0;

  const judgedOnly = $("#rankings-judged");
  select.addEventListener("change", () => load(Number(select.value)));
  judgedOnly.addEventListener("change", () => load(Number(select.value)));
  $("#rankings-back").addEventListener("click", () => app.go("lobby"));

  async function load(number) {
    const asked = ++shown;
    let rankings;
    try {
      rankings = await request("GET", `/api/rankings/${number}${judgedOnly.checked ? "?judged=true" : ""}`);
    } catch (failure) {
      return app.fail(failure);
    }
    if (asked !== shown) return; // a later choice already answered
    empty.hidden = rankings.length > 0;
    $("#rankings-table").hidden = rankings.length === 0;
    fill(body, rankings.map((result) => row(result)));
  }

  function row(result) {
    const players = [...result.players].sort((a, b) => b.score - a.score);
    const when = new Date(result.finishedAt);
    return el(
      "tr",
      {},
      el("td", {}, String(result.rank)),
      el("td", {}, players.map((player) => `${player.nickname} ${player.score}`).join(", ")),
      el("td", { class: "score" }, String(result.totalScore)),
      el("td", { class: result.judged ? "judged" : "reported" }, result.judged ? "the server" : "the players"),
      el("td", {}, Number.isNaN(when.getTime()) ? "" : when.toLocaleDateString()),
    );
  }

  return {
    enter({ song } = {}) {
      fill(select, app.songs.map((each) => el("option", { value: each.number }, `${each.title} · ${each.artist}`)));
      const number = song ?? app.songs[0]?.number;
      if (number === undefined) return;
      select.value = String(number);
      load(number);
    },
    leave() {
      shown += 1;
    },
  };
}
