// A one-lane rhythm chart: the player's part of the song, judged by when a key is pressed.
// Times are epoch milliseconds on the server's clock, like the shared start time.
// The rules and numbers are the server's (game_backend/judging/judge.py): the page judges at once, so the game
// feels instant, and then settles on the server's judgement.

const WINDOW_MS = { perfect: 70, good: 150 };
const POINTS = { perfect: 300, good: 100, miss: 0 };
const COMBO_BONUS = 10;
const COMBO_BONUS_CAP = 20;
const END_PAUSE_MS = 1000; // after the last note can no longer be played, the round is over for this player
const APPROACH_MS = 1600; // how long a note takes to fall from the top to the line
const HIT_LINE = 0.85; // the line's height, as a fraction of the lane

export class Chart {
  /** `notes`: the part as the server gives it, `{time}` in ms from `startTime`; `beatMs` spaces the lane's lines. */
  constructor(startTime, notes, beatMs) {
    this.beatMs = beatMs;
    this.notes = notes.map((note) => ({ at: startTime + note.time, judged: null }));
    this.score = 0;
    this.combo = 0;
  }

  /** A key press at `time`: the earliest waiting note in reach is hit; a press with none in reach is a miss. */
  press(time) {
    this.sweep(time);
    const note = this.notes.find((each) => !each.judged && Math.abs(time - each.at) <= WINDOW_MS.good);
    if (!note) return this.#judge(null, "miss");
    return this.#judge(note, Math.abs(time - note.at) <= WINDOW_MS.perfect ? "perfect" : "good");
  }

  /** Notes that went past the line unplayed by `time` are misses; returns their judgements. */
  sweep(time) {
    return this.notes.filter((note) => !note.judged && time - note.at > WINDOW_MS.good).map((note) => this.#judge(note, "miss"));
  }

  /** When the next waiting note is due, or null when none is left. */
  nextNoteAt() {
    return this.notes.find((note) => !note.judged)?.at ?? null;
  }

  /** The round is over for this player a moment after its last note could still be played. */
  endsAt() {
    return (this.notes.at(-1)?.at ?? 0) + WINDOW_MS.good + END_PAUSE_MS;
  }

  /** The server's judgement of a press: its score and combo stand. */
  settle({ score, combo }) {
    this.score = score;
    this.combo = combo;
  }

  #judge(note, kind) {
    if (note) note.judged = kind;
    if (kind === "miss") {
      this.combo = 0;
    } else {
      this.combo += 1;
      this.score += POINTS[kind] + COMBO_BONUS * Math.min(this.combo - 1, COMBO_BONUS_CAP);
    }
    return { kind, score: this.score, combo: this.combo };
  }
}

/** Draws a chart on a canvas, sized to its element and the screen's pixel ratio. */
export class LaneView {
  constructor(canvas, color) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.color = color;
  }

  draw(chart, time) {
    const { canvas, context } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * ratio);
    const height = Math.round(canvas.clientHeight * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    context.clearRect(0, 0, width, height);
    const lineY = height * HIT_LINE;
    const laneWidth = Math.min(width * 0.6, 220 * ratio);
    const left = (width - laneWidth) / 2;

    context.fillStyle = "rgba(255, 255, 255, 0.04)";
    context.fillRect(left, 0, laneWidth, height);
    if (chart && chart.notes.length > 0) {
      context.strokeStyle = "rgba(255, 255, 255, 0.08)";
      context.lineWidth = ratio;
      const beatPx = (chart.beatMs / APPROACH_MS) * lineY;
      const phase = ((time - chart.notes[0].at) / chart.beatMs) % 1;
      for (let y = lineY + phase * beatPx; y > 0; y -= beatPx) {
        context.beginPath();
        context.moveTo(left, y);
        context.lineTo(left + laneWidth, y);
        context.stroke();
      }
      for (const note of chart.notes) this.#note(note, time, left, laneWidth, lineY, ratio);
    }
    context.fillStyle = this.color;
    context.fillRect(left - 8 * ratio, lineY - 2 * ratio, laneWidth + 16 * ratio, 4 * ratio);
  }

  #note(note, time, left, laneWidth, lineY, ratio) {
    const y = lineY - ((note.at - time) / APPROACH_MS) * lineY;
    if (y < -20 * ratio || y > this.canvas.height + 20 * ratio) return;
    if (note.judged && note.judged !== "miss" && time - note.at > 250) return;
    const { context } = this;
    context.globalAlpha = note.judged === "miss" ? 0.3 : 1;
    context.fillStyle = note.judged && note.judged !== "miss" ? "#6ee7a8" : this.color;
    const noteHeight = 14 * ratio;
    context.beginPath();
    context.roundRect(left + 6 * ratio, y - noteHeight / 2, laneWidth - 12 * ratio, noteHeight, noteHeight / 2);
    context.fill();
    context.globalAlpha = 1;
  }
}
