// timbre app: the page. Target in, ranked presets out; audition, teach, retrain, map.

import {api, withToken} from "./api.js";
import {Player} from "./audio.js";
import {MapView} from "./map.js";
import {ResultList, baseName, presetUrl} from "./results.js";
import {Teacher} from "./teach.js";
import {Trainer} from "./train.js";
import {copyText, wireFileDrop} from "./inputs.js";
import {drawWave, waveform} from "./wave.js";

const AUDITION_DELAY_MS = 120;
const TOP = 50;

/** Plain numbers for tests and benchmarks (read with `page.evaluate("window.timbreMetrics")`). */
const metrics = window.timbreMetrics = {lastPlayLatencyMs: null, outputLatencyMs: null, mapDrawMs: null,
  mapLoadMs: null, auditionDelayMs: AUDITION_DELAY_MS, searches: 0, playing: null};
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const state = {status: null, target: null, targetPeaks: null, query: null, result: null, headChoice: null,
  thorough: false,
  banks: new Set(), tags: new Set(), current: "preset", loop: false, tab: "results", mapHead: undefined};

const player = new Player(metrics);
player.onChange((key) => { metrics.playing = key; });

const app = {state, player, metrics,
  info: (text) => showMessage(text, "info"),
  /** Run `work` (a function or a promise) and show any failure in the message bar. */
  guard: (work) => new Promise((resolve) => resolve(typeof work === "function" ? work() : work)).catch(showError),
  setJudgments: (n) => { $("judgment-count").textContent = `${n} mark${n === 1 ? "" : "s"}`; },
  setPressed: (id, on) => { $(id).setAttribute("aria-pressed", String(on)); $(id).classList.toggle("on", on); },
  playHit: (hit, t0) => playHit(hit, t0),
};

// ---------- messages ----------

let messageTimer = 0;
function showMessage(text, kind = "error") {
  const bar = $("message");
  $("message-text").textContent = text;
  bar.dataset.kind = kind;
  bar.hidden = false;
  clearTimeout(messageTimer);
  if (kind === "info") messageTimer = setTimeout(() => { bar.hidden = true; }, 4000);
}

function showError(err) {
  console.error(err);
  showMessage(err && err.message ? err.message : String(err), "error");
}

// ---------- status, header, filters ----------

async function loadStatus() {
  const status = state.status = await api.get("/api/status");
  const emb = status.index.embedder;
  $("index-info").innerHTML = `<span data-testid="status-presets"></span> · <span data-testid="status-embedder"></span>`;
  $("status-presets").textContent = `${status.index.presets.toLocaleString()} presets`;
  $("status-embedder").textContent = `${emb.name} embedder (${emb.dim}-d)`;
  $("index-info").title = status.index.path;
  $("text-search").hidden = !emb.text;
  app.setJudgments(status.judgments);
  renderHeads();
  renderBanks();
  renderTags();
  renderRecent();
  if (status.training && status.training.state === "running") trainer.watch();
  return status;
}

function renderHeads(shown) {
  const select = $("head-select");
  const heads = state.status.heads;
  const options = [["off", "off — base embedder"]].concat(heads.slice().reverse()
    .map((head) => [head.id, `${head.id}${head.latest ? " (latest)" : ""}`]));
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  const value = shown !== undefined ? shown : state.headChoice !== null ? state.headChoice : state.status.active_head;
  select.value = value || "off";
}

function renderBanks() {
  filterChips($("bank-chips"), state.status.banks, "bank", state.banks,
    "filter the results to the chosen banks (none chosen = all)");
}

function renderTags() {
  filterChips($("tag-chips"), state.status.tags || [], "tag", state.tags,
    "only presets with the chosen tags (from names and, with a text tower, from the sound)");
}

/** One toggle chip per `{name, count}` item; `chosen` (a Set of names) marks those switched on. */
function filterChips(box, items, kind, chosen, title) {
  box.replaceChildren(...items.map((item) => {
    const chip = document.createElement("button");
    chip.className = "chip";
    chip.dataset.testid = `${kind}-chip`;
    chip.dataset[kind] = item.name;
    chip.classList.toggle("on", chosen.has(item.name));
    chip.textContent = `${item.name} ${item.count}`;
    chip.title = title;
    return chip;
  }));
}

function renderRecent() {
  const list = $("recent-targets");
  list.replaceChildren(...state.status.targets.map((target) => {
    const item = document.createElement("li");
    item.dataset.testid = "recent-target";
    item.dataset.id = target.id;
    item.classList.toggle("current", !!state.target && state.target.id === target.id);
    item.textContent = target.name;
    const seconds = document.createElement("span");
    seconds.className = "muted";
    seconds.textContent = `${target.seconds.toFixed(1)} s`;
    item.append(seconds);
    item.title = target.hint || `added ${target.added}`;
    return item;
  }));
  if (!state.status.targets.length) list.innerHTML = `<li class="muted">none yet</li>`;
}

// ---------- target ----------

async function uploadFile(file) {
  const answer = await api.post(`/api/targets?name=${encodeURIComponent(file.name)}`, file);
  await useTarget(answer.target);
}

async function useTarget(target) {
  state.target = target;
  state.targetPeaks = null;
  player.preload([targetUrl()]);
  $("target-card").hidden = false;
  $("target-name").textContent = target.name;
  $("target-meta").textContent = `${target.seconds.toFixed(2)} s${target.hint ? " · " + target.hint : ""}`;
  $("target-meta").classList.toggle("warn", !!target.hint);
  waveform("target", target.id).then(({peaks}) => {
    state.targetPeaks = peaks;
    drawWave($("target-wave"), peaks);
  }).catch(() => {});
  await search({target: target.id});
  loadStatus().catch(showError);  // the recent list now has it
}

const targetUrl = () => withToken(`/api/audio/target/${encodeURIComponent(state.target.id)}`);

// ---------- search ----------

function searchBody(query) {
  const body = {...query, top: TOP, head: state.headChoice};
  if (state.thorough && query.target) body.thorough = true;
  if (state.banks.size) body.banks = [...state.banks];
  if (state.tags.size) body.tags = [...state.tags];
  return body;
}

async function search(query) {
  const result = await api.post("/api/search", searchBody(query));
  const keep = query === state.query && list.selectedHit() ? list.selectedHit().row : null;  // a re-run
  state.query = query;
  state.result = result;
  metrics.searches += 1;
  list.setHits(result.hits, "No presets matched — clear the bank or tag filter or try another target.", keep);
  const what = result.query.kind === "preset" ? `more like “${result.query.name}”`
    : result.query.kind === "text" ? textQueryLabel(result.query) : result.query.name;
  $("ranked-by").textContent = `${what} · ranked by ${result.head ? "head " + result.head
    : (state.status ? state.status.index.embedder.name : "base") + " embedder, no head"}`
    + (result.thorough ? " · thorough (notes compared)" : "");
  $("ranked-by").dataset.head = result.head || "";
  renderHeads(state.headChoice === null ? result.head || "off" : state.headChoice);
  $("export").disabled = !result.hits.length;
  if (result.hint) app.info(result.hint);
  player.preload(result.hits.slice(0, 8).map((hit) => presetUrl(hit.row)));
  mapView.highlight(result.hits.map((hit) => hit.row), result.query.kind === "preset" ? result.query.row : null);
  teacher.reset();
  if (state.tab === "map") showMap();
}

function textQueryLabel(query) {
  // A translated query says what was searched for, and which words were not understood.
  let label = `“${query.text}”`;
  if (query.searched_for) label += ` (searched for: ${query.searched_for})`;
  if (query.not_understood) label += ` — not understood: ${query.not_understood.join(", ")}`;
  return label;
}

function rerun() {
  if (state.query) return search(state.query);
}

async function exportCsv() {
  if (!state.query) return;
  const answer = await api.postRaw("/api/export", searchBody(state.query));
  const blob = await answer.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `timbre-${(state.result.query.name || "results").replace(/\.[^.]+$/, "")}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// ---------- playback ----------

let auditionTimer = 0;

async function playHit(hit, t0 = performance.now()) {
  clearTimeout(auditionTimer);  // an explicit play wins over a pending audition
  if (!hit) return;
  state.current = "preset";
  await player.play(`preset:${hit.row}`, presetUrl(hit.row), {t0});
}

async function playTarget(t0 = performance.now()) {
  clearTimeout(auditionTimer);
  if (!state.target) throw new Error("no target loaded — drop a target loop first");
  state.current = "target";
  await player.play(`target:${state.target.id}`, targetUrl(), {loop: state.loop, t0});
}

function playCurrent(t0) {
  return state.current === "target" && state.target ? playTarget(t0) : playHit(list.selectedHit(), t0);
}

function togglePlay(t0) {
  clearTimeout(auditionTimer);
  if (player.playingKey()) player.stop();
  else return playCurrent(t0);
}

/** A/B: switch between the target and the selected preset. */
function abToggle(t0) {
  const playing = player.playingKey();
  const onTarget = playing ? playing.startsWith("target:") : state.current === "target";
  return onTarget ? playHit(list.selectedHit(), t0) : playTarget(t0);
}

function toggleLoop() {
  state.loop = !state.loop;
  app.setPressed("target-loop", state.loop);
  if (state.target) player.setLoop(`target:${state.target.id}`, state.loop);
}

function moveSelection(delta) {
  list.select(list.selected + delta);
  const hits = list.hits;
  player.preload(hits.slice(Math.max(0, list.selected - 1), list.selected + 4).map((hit) => presetUrl(hit.row)));
  clearTimeout(auditionTimer);
  auditionTimer = setTimeout(() => app.guard(playHit(list.selectedHit())), AUDITION_DELAY_MS);
}

let animating = false;
function animate() {
  animating = false;
  const key = player.playingKey();
  const progress = player.progress();
  list.showPlaying(key, progress);
  const onTarget = key && key.startsWith("target:");
  $("target-play").textContent = onTarget ? "■ Stop" : "▶ Play";
  $("target-card").classList.toggle("playing", !!onTarget);
  if (state.targetPeaks) drawWave($("target-wave"), state.targetPeaks, onTarget ? progress : null);
  if (key) schedule();
}
function schedule() {
  if (!animating) requestAnimationFrame(animate);
  animating = true;
}
player.onChange(schedule);

// ---------- map ----------

async function showMap() {
  const head = state.result ? state.result.head || "off" : state.headChoice;
  if (state.mapHead === head && mapView.data) return mapView.draw();
  state.mapHead = head;
  const start = performance.now();
  const data = await api.get(`/api/map${head ? "?head=" + encodeURIComponent(head) : ""}`);
  mapView.setData(data);
  metrics.mapLoadMs = +(performance.now() - start).toFixed(2);
}

function setTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll(".tab")) button.classList.toggle("active", button.dataset.tab === tab);
  document.getElementById("view-results").hidden = tab !== "results";
  document.getElementById("view-map").hidden = tab !== "map";
  if (tab === "map") return showMap();
}

// ---------- keyboard ----------

function onKey(event) {
  if (event.target.closest("input, textarea, select")) {
    if (event.key === "Escape") event.target.blur();  // back to the keyboard shortcuts
    return;
  }
  const t0 = event.timeStamp || performance.now();  // when the key went down, same clock as performance.now()
  const key = event.key;
  if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "z") {
    event.preventDefault();
    return app.guard(teacher.undo());
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (teacher.handleKey(key)) return event.preventDefault();
  const actions = {
    ArrowDown: () => moveSelection(1), ArrowUp: () => moveSelection(-1),
    " ": () => togglePlay(t0), Enter: () => playHit(list.selectedHit(), t0),
    a: () => abToggle(t0), l: toggleLoop, s: () => teacher.mark("similar"), d: () => teacher.mark("not_similar"),
    m: () => moreLike(list.selectedHit()), t: () => teacher.toggleTriplets(),
  };
  const action = actions[key.length === 1 ? key.toLowerCase() : key];
  if (!action) return;
  event.preventDefault();
  if (event.target.closest("button") && (key === " " || key === "Enter")) event.target.blur();
  app.guard(action);
}

function moreLike(hit) {
  if (hit) return search({preset: hit.row});
}

// ---------- wiring ----------

const list = app.list = new ResultList($("result-list"), {
  onSelect: () => {},
  onAction: (action, hit) => app.guard({
    play: () => playHit(hit), more: () => moreLike(hit), similar: () => teacher.mark("similar"),
    not_similar: () => teacher.mark("not_similar"),
    copy: () => copyText(hit.path).then(() => app.info(`copied the path of ${baseName(hit.path)}`)),
  }[action]),
});
const teacher = new Teacher(app, $("triplet-panel"), $("undo"));
const trainer = new Trainer($("train-panel"), $("train"), {
  onError: showError,
  onDone: async (training) => {
    state.headChoice = null;  // the new head is the active one
    state.mapHead = undefined;
    await loadStatus();
    await rerun();
  },
});
const mapView = new MapView(document.getElementById("map-canvas"), document.getElementById("map-overlay"),
  $("map-tip"), $("map-legend"), {
    metrics,
    onHover: (row) => app.guard(player.play(`preset:${row}`, presetUrl(row))),
    onPick: (row) => app.guard(search({preset: row})),
  });

function wire() {
  document.addEventListener("keydown", onKey);
  wireFileDrop($("drop-overlay"), (file) => app.guard(uploadFile(file)));
  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) app.guard(uploadFile(file));
  });
  $("path-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const path = $("path-input").value.trim();
    if (path) app.guard(api.post("/api/targets/path", {path}).then((answer) => useTarget(answer.target)));
  });
  document.querySelector(".text-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text-input").value.trim();
    if (text) app.guard(search({text}));
  });
  $("recent-targets").addEventListener("click", (event) => {
    const item = event.target.closest("[data-id]");
    const target = item && state.status.targets.find((t) => t.id === item.dataset.id);
    if (target) app.guard(useTarget(target));
  });
  for (const [kind, chosen] of [["bank", state.banks], ["tag", state.tags]]) {
    $(`${kind}-chips`).addEventListener("click", (event) => {
      const chip = event.target.closest(".chip");
      if (!chip) return;
      const name = chip.dataset[kind];
      if (!chosen.delete(name)) chosen.add(name);
      chip.classList.toggle("on", chosen.has(name));
      app.guard(rerun());
    });
  }
  $("thorough").addEventListener("change", (event) => {
    state.thorough = event.target.checked;
    app.guard(rerun());
  });
  $("head-select").addEventListener("change", (event) => {
    state.headChoice = event.target.value;
    app.guard(rerun());
  });
  $("target-play").addEventListener("click", () => app.guard(() => (player.playingKey() || "").startsWith("target:")
    ? player.stop() : playTarget()));
  $("target-loop").addEventListener("click", toggleLoop);
  $("train").addEventListener("click", () => app.guard(trainer.start()));
  $("undo").addEventListener("click", () => app.guard(teacher.undo()));
  $("triplet-toggle").addEventListener("click", () => app.guard(() => teacher.toggleTriplets()));
  $("export").addEventListener("click", () => app.guard(exportCsv()));
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => app.guard(setTab(tab.dataset.tab)));
  document.querySelector(".message-close").addEventListener("click", () => { $("message").hidden = true; });
  window.addEventListener("unhandledrejection", (event) => showError(event.reason));
  window.addEventListener("error", (event) => showError(event.error || event.message));
}

// for tests, benchmarks and the console
window.timbre = {state, player, list, mapView, teacher};

wire();
loadStatus().then(() => { document.body.dataset.ready = "1"; }).catch(showError);
