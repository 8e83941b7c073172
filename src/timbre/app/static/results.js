// The ranked result list: one row per hit, keyboard selection, waveform thumbnails, drag-out.

import {withToken} from "./api.js";
import {drawWave, waveform} from "./wave.js";

const MIME = {ogg: "audio/ogg", wav: "audio/wav", flac: "audio/flac", mp3: "audio/mpeg", aif: "audio/aiff", aiff: "audio/aiff"};

export function presetUrl(row) {
  return withToken(`/api/audio/preset/${row}`);
}

export function baseName(path) {
  return String(path).split(/[\\/]/).pop();
}

const ROW_HTML = `
  <span class="rank"></span>
  <button class="play" data-action="play" data-testid="row-play" title="play (Enter)">▶</button>
  <canvas class="wave row-wave" data-testid="row-wave" width="120" height="26"></canvas>
  <span class="name" data-testid="row-name"></span>
  <span class="bank" data-testid="row-bank"></span>
  <span class="score" data-testid="row-score"></span>
  <span class="mark" data-testid="row-mark"></span>
  <span class="row-actions">
    <button data-action="similar" data-testid="row-similar" title="similar to the target (S)">✓</button>
    <button data-action="not_similar" data-testid="row-not-similar" title="not similar (D)">✗</button>
    <button data-action="more" data-testid="row-more" title="more like this (M)">≈</button>
    <button data-action="copy" data-testid="row-copy" title="copy the file path">Copy</button>
  </span>`;

export class ResultList {
  /** `onAction(action, hit, index)` for row buttons; `onSelect(index, how)` on click selection. */
  constructor(container, {onAction, onSelect}) {
    this.el = container;
    this.hits = [];
    this.rows = [];
    this.selected = -1;
    this.onAction = onAction;
    this.onSelect = onSelect;
    this.observer = new IntersectionObserver((entries) => this.drawVisible(entries), {root: container});
    container.addEventListener("click", (event) => this.click(event));
    container.addEventListener("dblclick", (event) => {
      const index = this.indexOf(event.target);
      if (index >= 0 && !event.target.closest("button")) this.onAction("play", this.hits[index], index);
    });
    container.addEventListener("dragstart", (event) => this.dragStart(event));
  }

  /** Show `hits`; select the one with preset row `keepRow` if it is there, else the first. */
  setHits(hits, emptyText, keepRow = null) {
    this.observer.disconnect();
    this.hits = hits;
    this.selected = -1;
    this.el.replaceChildren();
    this.rows = hits.map((hit, index) => this.makeRow(hit, index));
    if (!hits.length) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.dataset.testid = "empty";
      empty.textContent = emptyText || "No presets matched.";
      this.el.append(empty);
    }
    this.el.append(...this.rows);
    for (const row of this.rows) this.observer.observe(row);
    if (hits.length) this.select(Math.max(0, hits.findIndex((hit) => hit.row === keepRow)), keepRow !== null);
  }

  makeRow(hit, index) {
    const row = document.createElement("div");
    row.className = "row";
    row.dataset.testid = "result-row";
    row.dataset.row = hit.row;
    row.dataset.index = index;
    row.draggable = true;
    row.innerHTML = ROW_HTML;
    row.querySelector(".rank").textContent = hit.rank;
    const name = row.querySelector(".name");
    name.textContent = hit.name;
    name.title = hit.path;
    row.querySelector(".bank").textContent = hit.bank;
    row.querySelector(".score").textContent = hit.score.toFixed(3);
    this.paintMark(row, hit);
    return row;
  }

  paintMark(row, hit) {
    const label = hit.judgment ? hit.judgment.label : "";
    row.dataset.judgment = label;
    row.querySelector(".mark").textContent = label === "similar" ? "similar" : label ? "not similar" : "";
  }

  /** Repaint the judgment mark of the hit at `index`. */
  refresh(index) {
    if (this.rows[index]) this.paintMark(this.rows[index], this.hits[index]);
  }

  drawVisible(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting || entry.target.dataset.drawn) continue;
      const row = entry.target;
      row.dataset.drawn = "1";
      this.paintWave(Number(row.dataset.index));
    }
  }

  paintWave(index, progress = null) {
    const row = this.rows[index];
    if (!row) return;
    waveform("preset", this.hits[index].row).then(({peaks}) => {
      this.hits[index].peaks = peaks;
      drawWave(row.querySelector("canvas"), peaks, progress);
      row.dataset.waveReady = "1";
    }).catch(() => row.classList.add("wave-missing"));
  }

  select(index, scroll = true) {
    if (!this.hits.length) return;
    index = Math.max(0, Math.min(this.hits.length - 1, index));
    if (this.rows[this.selected]) this.rows[this.selected].classList.remove("selected");
    this.selected = index;
    const row = this.rows[index];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    if (scroll) row.scrollIntoView({block: "nearest"});
  }

  selectedHit() {
    return this.hits[this.selected] || null;
  }

  indexOf(node) {
    const row = node.closest && node.closest(".row");
    return row ? Number(row.dataset.index) : -1;
  }

  click(event) {
    const index = this.indexOf(event.target);
    if (index < 0) return;
    const button = event.target.closest("button[data-action]");
    this.select(index, false);
    if (button) this.onAction(button.dataset.action, this.hits[index], index);
    else this.onSelect(index);
  }

  /** Mark the playing row (key "preset:<row>") and draw its playhead. */
  showPlaying(key, progress) {
    for (const row of this.el.querySelectorAll(".row.playing")) {
      if (`preset:${row.dataset.row}` !== key) {
        row.classList.remove("playing");
        this.paintWave(Number(row.dataset.index));
      }
    }
    if (!key || !key.startsWith("preset:")) return;
    const index = this.hits.findIndex((hit) => `preset:${hit.row}` === key);
    if (index < 0) return;
    this.rows[index].classList.add("playing");
    if (this.hits[index].peaks) drawWave(this.rows[index].querySelector("canvas"), this.hits[index].peaks, progress);
  }

  dragStart(event) {
    const index = this.indexOf(event.target);
    if (index < 0) return;
    const hit = this.hits[index];
    const url = presetUrl(hit.row);
    const file = baseName(hit.path);
    const mime = MIME[file.split(".").pop().toLowerCase()] || "application/octet-stream";
    event.dataTransfer.effectAllowed = "copy";
    event.dataTransfer.setData("DownloadURL", `${mime}:${file}:${url}`);
    event.dataTransfer.setData("text/uri-list", url);
    event.dataTransfer.setData("text/plain", hit.path);
  }
}
