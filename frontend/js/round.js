// The round: sync the clock, load, count down to the shared start time, play the lane (each press judged at once
// here and then by the server, whose judgement stands), show the results.

import { request } from "./api.js";
import { $, el, fill } from "./dom.js";
import { instrumentName } from "./instruments.js";
import { Chart, LaneView } from "./lane.js";

const CLOCK_SAMPLES = 5;
const TICK_MS = 50;
const GO_SHOWN_MS = 700;
const JUDGEMENT_SHOWN_MS = 450;
const RESULTS_PATIENCE_MS = 30000; // after this long without results, let the player go back anyway
const PLAY_KEYS = new Set([" ", "f", "j", "d", "k"]);
const LANE_COLORS = { drum: "#ff5c8a", guitar: "#ffd166", piano: "#5ce1e6", violin: "#b794f6" };

/** How many notes of the part this page plays: `?beats=N` in the page's address, for short rounds; else all. */
function roundBeats() {
  const beats = Number(new URLSearchParams(location.search).get("beats"));
  return Number.isInteger(beats) && beats > 0 && beats <= 1000 ? beats : Infinity;
}

const localNow = () => performance.timeOrigin + performance.now();

/** Shared ranks, best first: equal scores share one (1, 1, 3). */
export function ranked(rows) {
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  let rank = 0;
  return sorted.map((row, index) => {
    if (index === 0 || row.score !== sorted[index - 1].score) rank = index + 1;
    return { ...row, rank };
  });
}

export function createRoundScreen(app) {
  const lane = $("#lane");
  const countdown = $("#countdown");
  const judgement = $("#judgement");
  const liveScores = $("#live-scores");
  const results = $("#results");
  const backButton = $("#back-to-room");
  let round = null;
  let clockOffset = 0; // ms to add to this browser's clock to read the server's
  const now = () => localNow() + clockOffset;

  /** NTP's way: a few round trips, and the offset measured by the fastest. */
  async function syncClock() {
    let best = null;
    for (let sample = 0; sample < CLOCK_SAMPLES; sample++) {
      const sent = localNow();
      const { serverTime } = await app.connection.call("clockSync", { clientTime: sent });
      const back = localNow();
      if (best === null || back - sent < best.roundTrip) best = { roundTrip: back - sent, offset: serverTime - (sent + back) / 2 };
    }
    clockOffset = best.offset;
  }

  backButton.addEventListener("click", () => app.enterRoom(round.code));

  document.addEventListener("keydown", (event) => {
    if (!round || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!PLAY_KEYS.has(event.key.toLowerCase())) return;
    event.preventDefault();
    press(performance.timeOrigin + event.timeStamp + clockOffset);
  });
  lane.addEventListener("pointerdown", (event) => {
    if (round) press(performance.timeOrigin + event.timeStamp + clockOffset);
  });

  function press(time) {
    if (!round?.chart || round.finished || time < round.startTime) return;
    judged(round.chart.press(time));
    showNextNote();
    const current = round;
    const sent = (current.presses += 1);
    app.connection
      .call("press", { code: current.code, at: Math.round(time - current.startTime) })
      .then((ack) => {
        if (current !== round || sent !== current.presses) return; // a later press settles it
        current.chart.settle(ack);
        showScore(ack);
      })
      .catch((failure) => {
        if (current === round && failure.code !== "RATE_LIMITED") app.fail(failure);
      });
  }

  function showScore({ score, combo }) {
    $("#my-score").textContent = String(score);
    $("#my-combo").textContent = String(combo);
  }

  function judged({ kind, score, combo }) {
    showScore({ score, combo });
    judgement.textContent = kind === "perfect" ? "Perfect" : kind === "good" ? "Good" : "Miss";
    judgement.className = `judgement ${kind}`;
    round.judgementUntil = now() + JUDGEMENT_SHOWN_MS;
  }

  function tick() {
    const time = now();
    const { chart, startTime } = round;
    if (startTime === null) {
      countdown.textContent = "Waiting for everyone to load…";
      countdown.className = "countdown small";
      return;
    }
    countdown.className = "countdown";
    countdown.textContent = time < startTime ? String(Math.ceil((startTime - time) / 1000)) : time < startTime + GO_SHOWN_MS ? "Go!" : "";
    if (round.judgementUntil && time > round.judgementUntil) {
      judgement.textContent = "";
      round.judgementUntil = 0;
    }
    if (round.finished || !chart) return;
    for (const result of chart.sweep(time)) judged(result);
    showNextNote();
    if (time > chart.endsAt()) finish();
  }

  /** The lane says when its next note is due (epoch ms, this browser's clock), for people's tools and the browser tests. */
  function showNextNote() {
    const next = round.chart.nextNoteAt();
    lane.dataset.nextNote = next === null ? "" : String(Math.round(next - clockOffset));
  }

  function draw() {
    if (!round) return;
    round.view.draw(round.chart, now());
    round.frame = requestAnimationFrame(draw);
  }

  async function finish() {
    round.finished = true;
    results.hidden = false;
    results.scrollIntoView({ block: "nearest", behavior: "smooth" });
    const failure = await app.connection.tell("gameEnded", {
      code: round.code,
      nickname: app.session.nickname,
      score: round.chart.score,
    });
    if (failure) {
      app.fail(failure);
      backButton.hidden = false;
      return;
    }
    round.patience = setTimeout(() => {
      $("#results-wait").textContent = "The other players have not finished yet. You can go back to the room.";
      backButton.hidden = false;
    }, RESULTS_PATIENCE_MS);
  }

  function showResults(ended) {
    clearTimeout(round.patience);
    const rows = ranked(Array.isArray(ended?.players) ? ended.players : round.players.map((player) => ({
      nickname: player.nickname,
      instrument: player.instrument,
      score: player.nickname === app.session.nickname ? round.chart?.score ?? 0 : player.score,
    })));
    const mine = rows.find((row) => row.nickname === app.session.nickname);
    if (mine) showScore({ score: mine.score, combo: Number($("#my-combo").textContent) });
    fill(
      $("#results-table tbody"),
      rows.map((row) =>
        el(
          "tr",
          { class: row.nickname === app.session.nickname ? "me" : null, dataset: { nickname: row.nickname } },
          el("td", {}, String(row.rank)),
          el("td", {}, row.nickname),
          el("td", {}, instrumentName(row.instrument)),
          el("td", { class: "score" }, String(row.score)),
        ),
      ),
    );
    results.hidden = false;
    $("#round-body").hidden = true;
    $("#results-wait").hidden = true;
    $("#results-table").hidden = false;
    backButton.hidden = false;
  }

  function liveScore(nickname, currentScore, combo) {
    const player = round.players.find((each) => each.nickname === nickname);
    if (!player) return;
    player.score = currentScore;
    player.combo = combo;
    renderLiveScores();
  }

  function renderLiveScores() {
    const others = round.players.filter((player) => player.nickname !== app.session.nickname);
    fill(
      liveScores,
      others.length === 0
        ? [el("li", {}, "You are playing alone.")]
        : others.map((player) =>
            el(
              "li",
              { dataset: { nickname: player.nickname } },
              el("span", {}, player.nickname),
              el("span", { class: "score" }, `${player.score} · x${player.combo}`),
            ),
          ),
    );
  }

  async function songOf(number) {
    return app.songs.find((song) => song.number === number) ?? (await request("GET", `/api/songs/${number}`));
  }

  return {
    async enter({ game, room }) {
      const code = game.code ?? room.code;
      const players = (game.players ?? room.players).map((player) => ({
        nickname: player.nickname,
        instrument: player.instrument,
        score: 0,
        combo: 0,
      }));
      const instrument = players.find((player) => player.nickname === app.session.nickname)?.instrument ?? "select";
      round = {
        code,
        players,
        instrument,
        chart: null,
        startTime: null,
        part: null,
        presses: 0,
        finished: false,
        judgementUntil: 0,
        patience: null,
        view: new LaneView($("#lane-canvas"), LANE_COLORS[instrument] ?? "#ff5c8a"),
      };
      $("#my-score").textContent = "0";
      $("#my-combo").textContent = "0";
      judgement.textContent = "";
      lane.dataset.nextNote = "";
      results.hidden = true;
      $("#round-body").hidden = false;
      $("#results-wait").hidden = false;
      $("#results-wait").textContent = "Waiting for the other players to finish…";
      $("#results-table").hidden = true;
      backButton.hidden = true;
      renderLiveScores();

      const current = round;
      const song = await songOf(game.song).catch(() => ({ title: `Song ${game.song}`, bpm: 120 }));
      if (current !== round) return;
      $("#round-song").textContent = song.title;
      $("#round-bpm").textContent = `${song.bpm} bpm`;
      round.beatMs = 60000 / song.bpm;
      const begin = () => {
        if (current.startTime !== null && current.part !== null && current.chart === null) {
          current.chart = new Chart(current.startTime, current.part.slice(0, roundBeats()), current.beatMs);
        }
      };
      round.begin = begin;
      round.stopListening = app.connection.listen((name) => {
        if (name === `allPlayersLoaded${code}`) {
          return (startTime) => {
            current.startTime = Number(startTime);
            begin();
          };
        }
        if (name === `allPlayersEnded${code}`) return showResults;
        if (name.startsWith("liveScore")) return (...args) => liveScore(name.slice("liveScore".length), ...args);
        return null;
      });
      round.ticker = setInterval(tick, TICK_MS);
      tick();
      draw();
      try {
        await syncClock();
        const { part } = await app.connection.call("playerLoaded", { nickname: app.session.nickname, code });
        current.part = part.notes;
        begin();
      } catch (failure) {
        if (current !== round) return;
        app.fail(failure);
        backButton.hidden = false;
        results.hidden = false;
      }
    },
    leave() {
      if (!round) return;
      round.stopListening?.();
      clearInterval(round.ticker);
      clearTimeout(round.patience);
      cancelAnimationFrame(round.frame);
      round = null;
    },
    /** Back after a lost connection: follow the room again, and the round goes on where it is. */
    async resume() {
      const current = round;
      try {
        await app.connection.call("joinRoom", { nickname: app.session.nickname, code: current.code });
      } catch (failure) {
        app.fail(failure);
        if (current === round) app.go("lobby");
        return;
      }
      if (current !== round || current.finished) return;
      // Loading again changes nothing on the server, but tells it this new connection plays the round (its
      // judgement goes on from the presses it saved).
      try {
        const { part } = await app.connection.call("playerLoaded", { nickname: app.session.nickname, code: current.code });
        if (current === round && current.part === null) {
          current.part = part.notes;
          current.begin();
        }
      } catch (failure) {
        if (current === round) app.fail(failure);
      }
      if (current === round && current.startTime === null) {
        app.notify("The round may have started while you were away. Go back to the room if nothing happens.");
        results.hidden = false;
        backButton.hidden = false;
      }
    },
  };
}
