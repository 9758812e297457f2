// A one-lane rhythm chart on the song's bpm: notes on the beat, judged by when a key is pressed.
// Times are epoch milliseconds, like the server's shared start time.

const WINDOW_MS = { perfect: 70, good: 150 };
const POINTS = { perfect: 300, good: 100, miss: 0 };
const COMBO_BONUS = 10;
const COMBO_BONUS_CAP = 20;
const LEAD_BEATS = 2; // beats between the start time and the first note, so the first notes can be seen coming
const APPROACH_MS = 1600; // how long a note takes to fall from the top to the line
const HIT_LINE = 0.85; // the line's height, as a fraction of the lane

export class Chart {
  constructor(startTime, bpm, beats) {
    this.beatMs = 60000 / bpm;
    this.notes = Array.from({ length: beats }, (_, index) => ({
      at: startTime + (index + LEAD_BEATS) * this.beatMs,
      judged: null,
    }));
    this.score = 0;
    this.combo = 0;
  }

  /** A key press at `time`: judges the nearest waiting note in reach, or returns null (a stray press costs nothing). */
  press(time) {
    const note = this.notes.find((each) => !each.judged && Math.abs(time - each.at) <= WINDOW_MS.good);
    if (!note) return null;
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

  /** The round is over for this player one beat after the last note could still be played. */
  endsAt() {
    return this.notes.at(-1).at + WINDOW_MS.good + this.beatMs;
  }

  #judge(note, kind) {
    note.judged = kind;
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
    if (chart) {
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
