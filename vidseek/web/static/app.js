// vidseek's page: Library, Ask, Search over the HTTP API. Text from videos (speech, on-screen
// text, captions, answers quoting them) only ever reaches the page through textContent.
"use strict";

const state = { videos: [], options: null, videoId: null, threadId: null, pendingSeek: null };
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function mmss(t) {
  const m = Math.floor(t / 60), s = t - 60 * m;
  return `${String(m).padStart(2, "0")}:${s.toFixed(1).padStart(4, "0")}`;
}

function showError(message) {
  $("status").textContent = message || "";
}

async function api(path, options = {}) {
  const res = await fetch(path, options);
  const body = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
  if (!res.ok) throw new Error((body && body.error) || `${res.status} ${res.statusText}`);
  return body;
}

// --- server-sent events over fetch (POST bodies; EventSource is GET only) ------------------------
async function readEvents(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(name, data ? JSON.parse(data) : null);
    }
  }
}

// --- views -------------------------------------------------------------------------------------
function show(view) {
  for (const name of ["library", "ask", "search"]) {
    $(`view-${name}`).hidden = name !== view;
    $(`tab-${name}`).classList.toggle("active", name === view);
  }
}

// --- library -----------------------------------------------------------------------------------
async function loadVideos() {
  state.videos = await api("/api/videos");
  const grid = $("videos");
  grid.replaceChildren();
  if (!state.videos.length) grid.append(el("p", { class: "muted", text: "No videos yet: add one by path or upload." }));
  for (const v of state.videos) {
    const when = v.indexed_at ? new Date(v.indexed_at * 1000).toLocaleString() : "indexing not finished";
    const models = Object.entries(v.models).map(([role, ref]) => `${role}: ${ref}`).join(", ");
    grid.append(el("div", { class: "card", dataset: { videoId: v.video_id } },
      el("img", { src: `/api/videos/${v.video_id}/thumbnail?size=320`, alt: "", loading: "lazy" }),
      el("div", { class: "body" },
        el("div", { class: "name", text: v.name }),
        el("div", { class: "muted", text: `${mmss(v.duration_s)} · ${v.width}x${v.height} · ${when}` }),
        el("div", { class: "muted", text: models || "no models recorded" }),
        el("div", { class: "actions" },
          el("button", { type: "button", text: "Ask", onclick: () => openVideo(v.video_id) }),
          el("button", { type: "button", text: "Remove", onclick: () => removeVideo(v) })))));
  }
  fillVideoSelects();
}

function fillVideoSelects() {
  const ask = $("ask-video"), where = $("search-video");
  const keepWhere = where.value;
  ask.replaceChildren(...state.videos.map((v) => el("option", { value: v.video_id, text: v.name })));
  where.replaceChildren(el("option", { value: "", text: "all videos" }),
    ...state.videos.map((v) => el("option", { value: v.video_id, text: v.name })));
  where.value = keepWhere;
  if (state.videoId) ask.value = state.videoId;
}

async function removeVideo(v) {
  if (!confirm(`Remove the index of ${v.name}? The file itself is kept.`)) return;
  try {
    await api(`/api/videos/${v.video_id}`, { method: "DELETE" });
    if (state.videoId === v.video_id) state.videoId = null;
    await loadVideos();
  } catch (err) { showError(err.message); }
}

function watchJob(job) {
  const rows = new Map();
  const box = el("div", { class: "job", dataset: { jobId: job.job_id } },
    el("div", { class: "name", text: job.path }),
    el("div", { class: "muted job-status", text: job.status }));
  $("jobs").prepend(box);
  const source = new EventSource(`/api/jobs/${job.job_id}/events`);
  source.addEventListener("progress", (msg) => {
    const ev = JSON.parse(msg.data);
    if (ev.kind === "message") return;
    let row = rows.get(ev.task);
    if (!row) {
      row = { bar: el("progress", { max: "1", value: "0" }), label: el("span") };
      rows.set(ev.task, row);
      box.append(el("div", { class: "task" }, el("span", { text: ev.task }), row.bar, row.label));
    }
    if (ev.total) { row.bar.max = ev.total; row.bar.value = ev.done; } else if (ev.kind === "finish") { row.bar.max = 1; row.bar.value = 1; }
    const amount = ev.total ? `${Math.round(ev.done)}/${Math.round(ev.total)} ${ev.unit}` : "";
    row.label.textContent = ev.kind === "finish" ? (ev.detail || "done") : amount;
  });
  source.addEventListener("status", (msg) => {
    const ev = JSON.parse(msg.data);
    box.querySelector(".job-status").textContent = ev.status + (ev.error ? `: ${ev.error}` : "");
    if (ev.status === "failed") box.classList.add("failed");
  });
  source.addEventListener("end", () => { source.close(); loadVideos().catch((e) => showError(e.message)); });
  source.onerror = () => source.close();
}

async function addPath(event) {
  event.preventDefault();
  showError("");
  try {
    const job = await api("/api/videos", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: $("add-path-input").value }),
    });
    watchJob(job);
  } catch (err) { showError(err.message); }
}

async function addUpload(event) {
  event.preventDefault();
  showError("");
  const file = $("upload-input").files[0];
  if (!file) return showError("choose a video file first");
  try {
    const job = await api(`/api/uploads?filename=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
    watchJob(job);
  } catch (err) { showError(err.message); }
}

// --- ask -----------------------------------------------------------------------------------------
function seek(t) {
  const player = $("player");
  if (player.readyState >= 1) {
    player.currentTime = t;
    player.play().catch(() => {});
  } else {
    state.pendingSeek = t;
  }
}

async function openVideo(videoId, at = null) {
  show("ask");
  if (state.videoId !== videoId) {
    state.videoId = videoId;
    state.threadId = null;
    $("ask-video").value = videoId;
    $("player").src = `/api/videos/${videoId}/media`;
    $("chat").replaceChildren();
    await loadThreads();
  }
  if (at !== null) seek(at);
}

async function loadOptions() {
  state.options = await api("/api/options");
  $("policy-select").replaceChildren(...state.options.policies.map((p) => el("option", { value: p, text: p })));
  $("policy-select").value = state.options.policy;
  $("planner-list").replaceChildren(...state.options.planners.map((p) => el("option", { value: p })));
  $("planner-input").value = state.options.planner;
}

async function loadThreads() {
  const select = $("thread-select");
  const threads = state.videoId ? await api(`/api/threads?video_id=${state.videoId}`) : [];
  select.replaceChildren(el("option", { value: "", text: "new thread" }),
    ...threads.map((t) => el("option", { value: t.thread_id, text: `${t.title || t.thread_id} (${t.policy}, ${t.turns})` })));
  select.value = state.threadId || "";
}

async function resumeThread(threadId) {
  state.threadId = threadId || null;
  $("chat").replaceChildren();
  if (!threadId) return;
  const thread = await api(`/api/threads/${threadId}`);
  $("policy-select").value = thread.policy;
  $("planner-input").value = thread.planner;
  for (const turn of thread.history) {
    const box = newTurn(turn.question);
    renderAnswer(box, { ...turn, video_id: thread.video_id });
  }
}

async function newThread() {
  if (!state.videoId) return showError("choose a video first");
  try {
    const t = await api("/api/threads", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ video_id: state.videoId, policy: $("policy-select").value, planner: $("planner-input").value }),
    });
    state.threadId = t.thread_id;
    $("chat").replaceChildren();
    await loadThreads();
  } catch (err) { showError(err.message); }
}

function newTurn(question) {
  const box = el("div", { class: "turn" }, el("div", { class: "q", text: question }));
  $("chat").append(box);
  return box;
}

function stepLine(ev) {
  if (ev.kind === "thought") return el("div", { class: "step", text: `step ${ev.step}: ${ev.text}` });
  if (ev.kind === "tool_start") return el("div", { class: "step", text: `step ${ev.step}: calls ${ev.name}(${JSON.stringify(ev.arguments)})` });
  if (ev.kind === "tool_end") {
    return el("div", { class: "step" },
      el("div", { text: `${ev.name} ${ev.ok ? "returned" : "failed"} in ${ev.wall_s} s` }),
      el("pre", { text: ev.text || "" }));
  }
  if (ev.kind === "notice" || ev.kind === "error") return el("div", { class: "step", text: `${ev.kind}: ${ev.text || ev.message || ""}` });
  return null;
}

function renderAnswer(box, res) {
  box.append(el("div", { class: "a answer", text: res.answer }));
  const chips = el("div", { class: "chips" });
  const thumbs = el("div", { class: "thumbs" });
  for (const span of res.evidence || []) {
    chips.append(el("button", {
      type: "button", class: "chip", title: span.why || "",
      dataset: { start: String(span.start_s), end: String(span.end_s) },
      text: `${mmss(span.start_s)}–${mmss(span.end_s)}`, onclick: () => seek(span.start_s),
    }));
    thumbs.append(el("img", {
      src: `/api/videos/${res.video_id}/thumbnail?t=${span.start_s}&size=160`,
      alt: `frame at ${span.start_s.toFixed(1)} s`, title: span.why || "", onclick: () => seek(span.start_s),
    }));
  }
  box.append(chips, thumbs);
  const sure = `confidence ${Number(res.confidence || 0).toFixed(2)}${res.best_effort ? " (best effort)" : ""}`;
  if (res.budgets) {
    const b = res.budgets;
    box.append(el("div", { class: "budgets", text: `${sure} · steps ${b.steps}/${b.max_steps} · tool calls ${b.tool_calls} · ` +
      `tokens ${b.total_tokens}/${b.max_tokens} · frames ${b.frames}/${b.max_frames} · ` +
      `${b.wall_s.toFixed(1)} s/${b.max_wall_s.toFixed(0)} s · $${b.cost_usd.toFixed(4)}` }));
  } else {
    box.append(el("div", { class: "budgets", text: sure }));
  }
  if (res.error) box.append(el("div", { class: "answer-error", text: res.error }));
}

async function ask(event) {
  event.preventDefault();
  showError("");
  const question = $("question").value.trim();
  if (!question || !state.videoId) return;
  $("question").value = "";
  $("ask-button").disabled = true;
  const box = newTurn(question);
  const steps = el("details", { class: "steps" }, el("summary", { text: "planner steps and tool calls" }));
  box.append(steps);
  const body = { video_id: state.videoId, question };
  if (state.threadId) body.thread_id = state.threadId;
  else Object.assign(body, { policy: $("policy-select").value, planner: $("planner-input").value });
  try {
    const res = await fetch("/api/ask", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error((await res.json()).error || res.statusText);
    let count = 0;
    await readEvents(res, (name, data) => {
      if (name === "thread") { state.threadId = data.thread_id; }
      else if (name === "event") {
        const line = stepLine(data);
        if (line) { steps.append(line); count += 1; steps.firstChild.textContent = `planner steps and tool calls (${count})`; }
      } else if (name === "result") renderAnswer(box, data);
      else if (name === "error") box.append(el("div", { class: "answer-error", text: data.error }));
      $("chat").scrollTop = $("chat").scrollHeight;
    });
    await loadThreads();
  } catch (err) {
    box.append(el("div", { class: "answer-error", text: err.message }));
  } finally {
    $("ask-button").disabled = false;
  }
}

// --- search --------------------------------------------------------------------------------------
async function search(event) {
  event.preventDefault();
  showError("");
  const q = $("search-input").value.trim();
  if (!q) return;
  const where = $("search-video").value;
  const out = $("search-results");
  out.replaceChildren(el("p", { class: "muted", text: "searching…" }));
  try {
    const res = await api(`/api/search?q=${encodeURIComponent(q)}&top_k=20${where ? `&video_id=${where}` : ""}`);
    out.replaceChildren(el("p", { class: "muted", text: `${res.hits.length} hits in ${res.videos_searched} videos` }));
    for (const h of res.hits) {
      const at = h.match_start_s ?? h.start_s;
      out.append(el("div", { class: "hit", onclick: () => openVideo(h.video_id, at) },
        el("img", { src: `/api/videos/${h.video_id}/thumbnail?t=${at}&size=160`, alt: "", loading: "lazy" }),
        el("div", {},
          el("div", { class: "name", text: `${h.video_name} · ${mmss(h.start_s)}–${mmss(h.end_s)}` }),
          el("div", {}, ...h.channels.map((c) => el("span", { class: "tag", text: c }))),
          el("div", { class: "hit-text", text: h.matched_text || h.text }))));
    }
  } catch (err) { out.replaceChildren(); showError(err.message); }
}

// --- start -------------------------------------------------------------------------------------
function start() {
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
  $("add-path").addEventListener("submit", addPath);
  $("add-upload").addEventListener("submit", addUpload);
  $("ask-form").addEventListener("submit", ask);
  $("search-form").addEventListener("submit", search);
  $("new-thread").addEventListener("click", newThread);
  $("ask-video").addEventListener("change", (e) => openVideo(e.target.value));
  $("thread-select").addEventListener("change", (e) => resumeThread(e.target.value).catch((err) => showError(err.message)));
  const player = $("player");
  player.addEventListener("loadedmetadata", () => {
    if (state.pendingSeek !== null) { player.currentTime = state.pendingSeek; state.pendingSeek = null; }
  });
  player.addEventListener("timeupdate", () => { $("player-time").textContent = mmss(player.currentTime); });
  show("library");
  Promise.all([loadVideos(), loadOptions()])
    .then(() => api("/api/jobs"))
    .then((jobs) => jobs.filter((j) => j.status === "queued" || j.status === "running").forEach(watchJob))
    .catch((err) => showError(err.message));
}

document.addEventListener("DOMContentLoaded", start);
