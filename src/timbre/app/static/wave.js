// Waveform thumbnails: peaks from /api/waveform/..., drawn on a small devicePixelRatio-aware canvas.

import {api} from "./api.js";

const cache = new Map();  // path -> Promise<{peaks, seconds}>
let active = 0;
const queue = [];
const PARALLEL = 6;

/** The peaks of a preset row or a target id (cached; at most PARALLEL requests at once). */
export function waveform(kind, id) {
  const path = `/api/waveform/${kind}/${encodeURIComponent(id)}`;
  if (!cache.has(path)) {
    const pending = new Promise((resolve, reject) => queue.push({path, resolve, reject}));
    pending.catch(() => cache.delete(path));
    cache.set(path, pending);
    pump();
  }
  return cache.get(path);
}

function pump() {
  while (active < PARALLEL && queue.length) {
    const job = queue.shift();
    active += 1;
    api.get(job.path).then(job.resolve, job.reject).finally(() => {
      active -= 1;
      pump();
    });
  }
}

/** Size the canvas backing store to its CSS box times devicePixelRatio; returns a context in CSS pixels. */
export function fitCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return {ctx, width, height};
}

/** Mirrored peak bars; the played part (`progress` 0..1) in the accent colour. */
export function drawWave(canvas, peaks, progress = null) {
  const {ctx, width, height} = fitCanvas(canvas);
  ctx.clearRect(0, 0, width, height);
  if (!peaks || !peaks.length) return;
  const style = getComputedStyle(canvas);
  const base = style.getPropertyValue("--wave").trim() || "#6f8299";
  const played = style.getPropertyValue("--wave-played").trim() || "#f0b25a";
  const mid = height / 2;
  const step = width / peaks.length;
  const split = progress === null ? -1 : progress * width;
  for (let i = 0; i < peaks.length; i++) {
    const x = i * step;
    const h = Math.max(1, peaks[i] * (height - 2));
    ctx.fillStyle = x < split ? played : base;
    ctx.fillRect(x, mid - h / 2, Math.max(1, step - 0.5), h);
  }
}
