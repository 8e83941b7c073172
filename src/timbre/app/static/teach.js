// Teaching the head: similar / not-similar marks on rows, undo, and triplet comparisons.

import {api} from "./api.js";
import {drawWave, waveform} from "./wave.js";

const TRIPLET_POOL = 20;

export class Teacher {
  /** `app` gives state, list, player, show(error) and counter updates. */
  constructor(app, panel, undoButton) {
    this.app = app;
    this.panel = panel;
    this.undoButton = undoButton;
    this.undoStack = [];     // judgment ids, newest last
    this.compared = new Set();
    this.pair = null;        // [hitA, hitB] in triplet mode
    this.on = false;
  }

  requireTarget() {
    const target = this.app.state.target;
    if (!target) throw new Error("no target loaded — drop a target loop first; marks say what sounds like it");
    return target;
  }

  /** Mark the selected row; the same label again removes the mark, the other label replaces it. */
  async mark(label) {
    const index = this.app.list.selected;
    const hit = this.app.list.selectedHit();
    if (!hit) return;
    const target = this.requireTarget();
    if (hit.judgment && hit.judgment.label === label) {
      const id = hit.judgment.id;
      const answer = await api.del(`/api/judgments/${encodeURIComponent(id)}`);
      this.undoStack = this.undoStack.filter((entry) => entry.id !== id);
      hit.judgment = null;
      return this.after(answer, index);
    }
    const answer = await api.post("/api/judgments", {target: target.id, preset: hit.row, label});
    if (hit.judgment) this.undoStack = this.undoStack.filter((entry) => entry.id !== hit.judgment.id);
    hit.judgment = {id: answer.judgment.id, label};
    this.undoStack.push({id: answer.judgment.id, row: hit.row});
    this.after(answer, index);
  }

  after(answer, index) {
    if (index !== null) this.app.list.refresh(index);
    this.app.setJudgments(answer.judgments);
    this.undoButton.disabled = !this.undoStack.length;
  }

  /** Remove the newest mark or triplet made in this page. */
  async undo() {
    const entry = this.undoStack.pop();
    if (!entry) {
      this.app.info("nothing to undo");
      return;
    }
    try {
      const answer = await api.del(`/api/judgments/${encodeURIComponent(entry.id)}`);
      const index = this.app.list.hits.findIndex((hit) => hit.judgment && hit.judgment.id === entry.id);
      if (index >= 0) this.app.list.hits[index].judgment = null;
      if (entry.pair) this.compared.delete(entry.pair);
      this.after(answer, index >= 0 ? index : null);
      this.app.info(entry.pair ? "triplet removed" : "mark removed");
    } catch (err) {
      this.undoStack.push(entry);
      throw err;
    }
  }

  /** Triplet mode: two rows of the top list, "which is closer to the target?" */
  toggleTriplets(on = !this.on) {
    if (on) this.requireTarget();
    this.on = on;
    this.panel.hidden = !on;
    this.app.setPressed("triplet-toggle", on);
    if (on) this.next();
  }

  next() {
    const hits = this.app.list.hits.slice(0, TRIPLET_POOL);
    const open = [];
    for (let i = 0; i < hits.length; i++) {
      for (let j = i + 1; j < hits.length; j++) {
        if (!this.compared.has(this.key(hits[i], hits[j]))) open.push([hits[i], hits[j]]);
      }
    }
    this.pair = open.length ? open[Math.floor(Math.random() * open.length)] : null;
    if (this.pair && Math.random() < 0.5) this.pair.reverse();
    this.render();
  }

  key(a, b) {
    const target = this.app.state.target ? this.app.state.target.id : "";
    return [target, Math.min(a.row, b.row), Math.max(a.row, b.row)].join(":");
  }

  render() {
    if (!this.pair) {
      this.panel.innerHTML = `<div class="triplet-done" data-testid="triplet-done">Every pair of the top ${TRIPLET_POOL} is compared — retrain, or load another target.</div>`;
      return;
    }
    this.panel.innerHTML = `
      <div class="triplet-question">Which is closer to <b></b>? <span class="muted">1 / 2 choose · 0 skip · ← → play</span></div>
      <div class="triplet-cards">${[0, 1].map((side) => `
        <div class="triplet-card" data-testid="triplet-card-${side + 1}">
          <div class="triplet-top"><kbd>${side + 1}</kbd><span class="name"></span><span class="bank"></span></div>
          <canvas class="wave triplet-wave" width="240" height="40"></canvas>
          <div class="triplet-buttons">
            <button data-play="${side}" data-testid="triplet-play-${side + 1}">▶ Play</button>
            <button data-choose="${side}" data-testid="triplet-choose-${side + 1}">This one is closer</button>
          </div>
        </div>`).join("")}
      </div>
      <button class="triplet-skip" data-choose="skip" data-testid="triplet-skip">Skip (0)</button>`;
    this.panel.querySelector(".triplet-question b").textContent = this.app.state.target.name;
    this.panel.querySelectorAll(".triplet-card").forEach((card, side) => {
      const hit = this.pair[side];
      card.querySelector(".name").textContent = hit.name;
      card.querySelector(".bank").textContent = hit.bank;
      const canvas = card.querySelector("canvas");
      waveform("preset", hit.row).then(({peaks}) => drawWave(canvas, peaks)).catch(() => {});
    });
    this.panel.onclick = (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.play !== undefined) this.play(Number(button.dataset.play));
      else this.app.guard(this.choose(button.dataset.choose === "skip" ? null : Number(button.dataset.choose)));
    };
  }

  play(side) {
    if (this.pair) this.app.guard(this.app.playHit(this.pair[side]));
  }

  /** Record the pair as a triplet (`side` closer), or skip it (`side` null); then the next pair. */
  async choose(side) {
    if (!this.pair) return;
    const [a, b] = this.pair;
    const pair = this.key(a, b);
    this.compared.add(pair);
    if (side !== null) {
      const positive = side === 0 ? a : b, negative = side === 0 ? b : a;
      const answer = await api.post("/api/judgments", {kind: "triplet", target: this.app.state.target.id,
        positive: positive.row, negative: negative.row});
      this.undoStack.push({id: answer.judgment.id, pair});
      this.after(answer, null);
    }
    this.next();
  }

  /** Keys in triplet mode: 1 / 2 choose, 0 skip, ← → play left / right. Returns true when used. */
  handleKey(key) {
    if (!this.on) return false;
    const actions = {"1": () => this.app.guard(this.choose(0)), "2": () => this.app.guard(this.choose(1)),
      "0": () => this.app.guard(this.choose(null)), ArrowLeft: () => this.play(0), ArrowRight: () => this.play(1)};
    if (!actions[key]) return false;
    actions[key]();
    return true;
  }

  /** A new target or list: forget the open pair (compared pairs stay remembered per target). */
  reset() {
    if (this.on) this.next();
  }
}
