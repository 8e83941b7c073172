// Retraining the head: POST /api/train, poll its progress, then hand the new head to the app.

import {api} from "./api.js";

const POLL_MS = 500;

export class Trainer {
  /** `onDone(training)` runs once when a run this page watched finishes. */
  constructor(panel, button, {onDone, onError}) {
    this.panel = panel;
    this.button = button;
    this.onDone = onDone;
    this.onError = onError;
    this.timer = 0;
    this.stage = panel.querySelector("[data-testid=train-stage]");
    this.bar = panel.querySelector("[data-testid=train-progress]");
    this.message = panel.querySelector("[data-testid=train-message]");
  }

  async start() {
    const answer = await api.post("/api/train", {});
    this.show(answer.training);
    this.watch();
  }

  /** Poll until the run ends (also used at page load when a run is already going). */
  watch() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  async poll() {
    let training;
    try {
      training = (await api.get("/api/train")).training;
    } catch (err) {
      this.onError(err);
      this.watch();
      return;
    }
    this.show(training);
    if (training.state === "running") this.watch();
    else if (training.state === "done") this.onDone(training);
    else if (training.state === "failed") this.onError(new Error(training.error || "training failed — see the terminal running `timbre app`"));
  }

  show(training) {
    const running = training.state === "running";
    this.panel.hidden = training.state === "idle";
    this.panel.dataset.state = training.state;
    this.button.disabled = running;
    this.button.textContent = running ? "Training…" : "Retrain";
    this.stage.textContent = running ? training.stage || "starting" : training.state === "done" ? "trained" : training.state;
    const fraction = training.state === "done" ? 1 : training.fraction;
    this.bar.classList.toggle("indeterminate", running && (fraction === null || fraction === undefined));
    this.bar.style.width = fraction === null || fraction === undefined ? "" : `${Math.round(100 * fraction)}%`;
    this.message.textContent = training.state === "failed" ? training.error || "" : training.message || "";
  }
}
