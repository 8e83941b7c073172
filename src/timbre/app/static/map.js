// The library map: every preset as a dot on one canvas, coloured by bank, with a bucket grid for
// nearest-point hover, wheel zoom and drag pan. Highlights live on a second canvas on top, so
// hover and rings never redraw the 30,000 dots.

import {fitCanvas} from "./wave.js";

export const PALETTE = ["#5fa8d3", "#f0b25a", "#8bc48a", "#e07a7a", "#b59be0", "#5cc8b8", "#d9d36b",
  "#e39ad0", "#9aa7b8", "#f08a4b", "#7fd1ea", "#c2a27f", "#a3e05f", "#ff9fb0", "#6f86e8", "#d0d0d0"];
const GRID = 96;        // buckets per side, in data space
const HIT_PX = 9;       // hover reach in CSS pixels
const PAD = 24;

export class MapView {
  /** `onHover(row)` after a short rest on a point; `onPick(row)` on click. */
  constructor(canvas, overlay, tip, legend, {onHover, onPick, metrics}) {
    Object.assign(this, {canvas, overlay, tip, legend, onHover, onPick, metrics});
    this.data = null;
    this.view = {scale: 1, dx: 0, dy: 0};
    this.rings = [];
    this.picked = null;
    this.hovered = null;
    this.hoverTimer = 0;
    this.drag = null;
    overlay.addEventListener("mousemove", (e) => this.mouseMove(e));
    overlay.addEventListener("mouseleave", () => this.setHover(null));
    overlay.addEventListener("mousedown", (e) => { this.drag = {x: e.clientX, y: e.clientY, moved: false}; });
    window.addEventListener("mouseup", (e) => this.mouseUp(e));
    overlay.addEventListener("wheel", (e) => this.wheel(e), {passive: false});
    overlay.addEventListener("dblclick", () => { this.view = {scale: 1, dx: 0, dy: 0}; this.draw(); });
    new ResizeObserver(() => this.data && this.draw()).observe(canvas.parentElement);
  }

  /** Take a /api/map answer: bucket the points by bank and into the hover grid, then draw. */
  setData(data) {
    const n = data.x.length;
    const byBank = data.banks.map(() => []);
    const grid = Array.from({length: GRID * GRID}, () => []);
    for (let i = 0; i < n; i++) {
      (byBank[data.bank[i]] || byBank[0]).push(i);
      grid[this.cell(data.x[i], data.y[i])].push(i);
    }
    this.data = {...data, byBank, grid, n};
    this.view = {scale: 1, dx: 0, dy: 0};
    this.drawLegend(byBank);
    this.draw();
  }

  cell(x, y) {
    const cx = Math.min(GRID - 1, Math.max(0, Math.floor(x * GRID)));
    const cy = Math.min(GRID - 1, Math.max(0, Math.floor(y * GRID)));
    return cy * GRID + cx;
  }

  /** Data (0..1) -> CSS pixels of the canvas. */
  toScreen(x, y) {
    const {w, h} = this.size;
    const {scale, dx, dy} = this.view;
    return [PAD + (x * scale + dx) * (w - 2 * PAD), PAD + (y * scale + dy) * (h - 2 * PAD)];
  }

  toData(px, py) {
    const {w, h} = this.size;
    const {scale, dx, dy} = this.view;
    return [((px - PAD) / (w - 2 * PAD) - dx) / scale, ((py - PAD) / (h - 2 * PAD) - dy) / scale];
  }

  draw() {
    if (!this.data || !this.canvas.clientWidth) return;
    const start = performance.now();
    const {ctx, width, height} = fitCanvas(this.canvas);
    this.size = {w: width, h: height};
    ctx.clearRect(0, 0, width, height);
    const {x, y, byBank} = this.data;
    // big round dots for a small library, 2-3 px squares (much faster) for tens of thousands
    const r = this.r = Math.min(6, Math.max(1.1, Math.min(4.5, 40 / Math.sqrt(this.data.n)) * Math.sqrt(this.view.scale)));
    const round = this.data.n < 3000;
    ctx.globalAlpha = round ? 0.95 : 0.8;
    byBank.forEach((rows, bank) => {
      ctx.fillStyle = PALETTE[bank % PALETTE.length];
      if (round) ctx.beginPath();
      for (const i of rows) {
        const [sx, sy] = this.toScreen(x[i], y[i]);
        if (sx < -r || sy < -r || sx > width + r || sy > height + r) continue;
        if (!round) ctx.fillRect(sx - r, sy - r, 2 * r, 2 * r);
        else {
          ctx.moveTo(sx + r, sy);
          ctx.arc(sx, sy, r, 0, 2 * Math.PI);
        }
      }
      if (round) ctx.fill();
    });
    ctx.globalAlpha = 1;
    this.metrics.mapDrawMs = +(performance.now() - start).toFixed(2);
    this.metrics.mapPoints = this.data.n;
    this.canvas.dataset.points = this.data.n;
    this.drawOverlay();
  }

  /** Rings around `rows` (the current results) and a marked `picked` row. */
  highlight(rows, picked = this.picked) {
    this.rings = rows || [];
    this.picked = picked;
    this.drawOverlay();
  }

  drawOverlay() {
    if (!this.data || !this.size) return;
    const {ctx, width, height} = fitCanvas(this.overlay);
    ctx.clearRect(0, 0, width, height);
    const ring = (row, radius, colour, lineWidth) => {
      if (row === null || row === undefined || row >= this.data.n) return;
      const [sx, sy] = this.toScreen(this.data.x[row], this.data.y[row]);
      ctx.beginPath();
      ctx.arc(sx, sy, radius, 0, 2 * Math.PI);
      ctx.strokeStyle = colour;
      ctx.lineWidth = lineWidth;
      ctx.stroke();
    };
    const r = this.r || 2;
    this.rings.forEach((row, k) => ring(row, r + (k < 10 ? 4 : 3), k < 10 ? "#ffffffdd" : "#ffffff88", k < 10 ? 1.5 : 1));
    ring(this.picked, r + 7, "#ff5c8a", 2.5);
    ring(this.hovered, r + 5, "#f0b25a", 2);
  }

  nearest(px, py) {
    const [dxData, dyData] = this.toData(px, py);
    const {x, y, grid} = this.data;
    const reach = HIT_PX / (this.view.scale * (this.size.w - 2 * PAD));
    const span = Math.ceil(reach * GRID) + 1;
    const cx = Math.floor(dxData * GRID), cy = Math.floor(dyData * GRID);
    let best = null, bestDist = Infinity;
    for (let gy = Math.max(0, cy - span); gy <= Math.min(GRID - 1, cy + span); gy++) {
      for (let gx = Math.max(0, cx - span); gx <= Math.min(GRID - 1, cx + span); gx++) {
        for (const i of grid[gy * GRID + gx]) {
          const [sx, sy] = this.toScreen(x[i], y[i]);
          const d = (sx - px) ** 2 + (sy - py) ** 2;
          if (d < bestDist) { bestDist = d; best = i; }
        }
      }
    }
    return bestDist <= HIT_PX * HIT_PX ? best : null;
  }

  mouseMove(event) {
    if (!this.data || !this.size) return;
    const box = this.overlay.getBoundingClientRect();
    const px = event.clientX - box.left, py = event.clientY - box.top;
    if (this.drag && (event.buttons & 1)) {
      const moved = Math.hypot(event.clientX - this.drag.x, event.clientY - this.drag.y);
      if (moved > 3 || this.drag.moved) this.pan(event);
      return;
    }
    this.setHover(this.nearest(px, py), px, py);
  }

  setHover(row, px = 0, py = 0) {
    if (row === this.hovered) return;
    this.hovered = row;
    clearTimeout(this.hoverTimer);
    this.drawOverlay();
    if (row === null) {
      this.tip.hidden = true;
      return;
    }
    const bank = this.data.banks[this.data.bank[row]] || "";
    this.tip.textContent = `${this.data.names[row]} · ${bank}`;
    this.tip.hidden = false;
    const {w, h} = this.size;  // keep the label inside the map near its right and bottom edges
    const left = px + 14 + this.tip.offsetWidth > w ? px - 14 - this.tip.offsetWidth : px + 14;
    const top = py + 10 + this.tip.offsetHeight > h ? py - 10 - this.tip.offsetHeight : py + 10;
    this.tip.style.left = `${Math.max(0, left)}px`;
    this.tip.style.top = `${Math.max(0, top)}px`;
    this.hoverTimer = setTimeout(() => this.onHover(row), 250);
  }

  pan(event) {
    const {w, h} = this.size;
    this.view.dx += (event.clientX - this.drag.x) / (w - 2 * PAD);
    this.view.dy += (event.clientY - this.drag.y) / (h - 2 * PAD);
    this.drag = {x: event.clientX, y: event.clientY, moved: true};
    this.draw();
  }

  mouseUp(event) {
    const drag = this.drag;
    this.drag = null;
    if (!drag || drag.moved || event.target !== this.overlay) return;
    if (this.hovered !== null) {
      this.picked = this.hovered;
      this.drawOverlay();
      this.onPick(this.hovered);
    }
  }

  wheel(event) {
    if (!this.data || !this.size) return;
    event.preventDefault();
    const box = this.overlay.getBoundingClientRect();
    const [x0, y0] = this.toData(event.clientX - box.left, event.clientY - box.top);
    const scale = Math.min(64, Math.max(1, this.view.scale * Math.exp(-event.deltaY * 0.0015)));
    const {w, h} = this.size;
    // keep the data point under the cursor where it is
    this.view.dx = (event.clientX - box.left - PAD) / (w - 2 * PAD) - x0 * scale;
    this.view.dy = (event.clientY - box.top - PAD) / (h - 2 * PAD) - y0 * scale;
    this.view.scale = scale;
    this.draw();
  }

  drawLegend(byBank) {
    this.legend.replaceChildren(...this.data.banks.map((name, bank) => {
      const item = document.createElement("span");
      item.className = "legend-item";
      const swatch = document.createElement("i");
      swatch.style.background = PALETTE[bank % PALETTE.length];
      item.append(swatch, `${name} (${byBank[bank].length})`);
      return item;
    }));
  }
}
