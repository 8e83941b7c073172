// Playback through Web Audio: previews are fetched and decoded once (small files), cached, and
// started with an AudioBufferSourceNode, so a key press reaches the speakers in a few milliseconds.

const CACHE_LIMIT = 200;

export class Player {
  /** `metrics` receives lastPlayLatencyMs (key press -> source started) and outputLatencyMs. */
  constructor(metrics) {
    this.metrics = metrics;
    this.ctx = null;
    this.gain = null;
    this.buffers = new Map();  // url -> Promise<AudioBuffer>, oldest first (LRU)
    this.current = null;       // {key, src, startedAt, duration, loop}
    this.seq = 0;
    this.listeners = new Set();
  }

  context() {
    if (!this.ctx) {
      this.ctx = new AudioContext({latencyHint: "interactive"});
      this.gain = this.ctx.createGain();
      this.gain.connect(this.ctx.destination);
    }
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    return this.ctx;
  }

  /** The decoded buffer of `url` (fetched once; a failed load is forgotten so it can be retried). */
  load(url) {
    let pending = this.buffers.get(url);
    if (pending) {
      this.buffers.delete(url);
      this.buffers.set(url, pending);
      return pending;
    }
    pending = fetch(url).then(async (answer) => {
      if (!answer.ok) throw new Error(await failure(answer));
      return this.context().decodeAudioData(await answer.arrayBuffer());
    });
    pending.catch(() => this.buffers.delete(url));
    this.buffers.set(url, pending);
    while (this.buffers.size > CACHE_LIMIT) this.buffers.delete(this.buffers.keys().next().value);
    return pending;
  }

  /** Start decoding these URLs in the background. */
  preload(urls) {
    for (const url of urls) this.load(url).catch(() => {});
  }

  /** Play `url` as the item `key` (stops whatever plays). `t0` = when the user asked (performance.now()). */
  async play(key, url, {loop = false, t0 = performance.now()} = {}) {
    this.stop();
    const seq = this.seq;
    const buffer = await this.load(url);
    if (seq !== this.seq) return false;  // another play/stop came first
    const ctx = this.context();
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.loop = loop;
    src.connect(this.gain);
    src.start();
    this.metrics.lastPlayLatencyMs = +(performance.now() - t0).toFixed(2);
    this.metrics.outputLatencyMs = +(1000 * ((ctx.baseLatency || 0) + (ctx.outputLatency || 0))).toFixed(2);
    this.metrics.plays = (this.metrics.plays || 0) + 1;
    this.current = {key, src, startedAt: ctx.currentTime, duration: buffer.duration, loop};
    src.onended = () => {
      if (this.current && this.current.src === src) {
        this.current = null;
        this.emit();
      }
    };
    this.emit();
    return true;
  }

  stop() {
    this.seq += 1;
    if (!this.current) return;
    const {src} = this.current;
    this.current = null;
    src.onended = null;
    try { src.stop(); } catch (_) { /* already stopped */ }
    this.emit();
  }

  setLoop(key, loop) {
    if (this.current && this.current.key === key) {
      this.current.src.loop = loop;
      this.current.loop = loop;
    }
  }

  playingKey() {
    return this.current ? this.current.key : null;
  }

  /** Seconds into the playing item, or null. */
  position() {
    if (!this.current) return null;
    const {startedAt, duration, loop} = this.current;
    const t = this.ctx.currentTime - startedAt;
    return loop && duration > 0 ? t % duration : Math.min(t, duration);
  }

  /** Fraction 0..1 of the playing item, or null. */
  progress() {
    const t = this.position();
    return t === null || !this.current.duration ? null : t / this.current.duration;
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  emit() {
    for (const listener of this.listeners) listener(this.playingKey());
  }
}

async function failure(answer) {
  try {
    const data = await answer.json();
    if (data.error) return data.error;
  } catch (_) { /* not JSON */ }
  return `cannot load the audio (${answer.status}) — check that the file still exists`;
}
