// SonicAI studio: live job progress over WebSockets, uploads with a progress bar per file, downloads,
// confirmations, and error messages that say what to change.
"use strict";

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

// Watch one job: calls onUpdate(job) for every message; reconnects until the job ends.
// One WebSocket per job, however many parts of the page follow it (a job row and the page's own handler).
const jobWatches = new Map();

function watchJob(jobId, onUpdate) {
  if (jobWatches.has(jobId)) { jobWatches.get(jobId).add(onUpdate); return; }
  const listeners = new Set([onUpdate]);
  jobWatches.set(jobId, listeners);
  const proto = location.protocol === "https:" ? "wss" : "ws";
  let ended = false;
  let retry = 500;
  function connect() {
    const ws = new WebSocket(`${proto}://${location.host}/ws/jobs/${jobId}/`);
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type !== "job") return;
      retry = 500;
      if (["completed", "failed", "cancelled"].includes(msg.job.status)) { ended = true; jobWatches.delete(jobId); ws.close(); }
      listeners.forEach((fn) => fn(msg.job));
    };
    ws.onclose = (ev) => {
      if (ended || ev.code === 4404) { jobWatches.delete(jobId); return; }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }
  connect();
}

// The API answers {"detail": "..."} or {"field": ["sentence", ...], "non_field_errors": [...]}; a page shows
// the sentences, and marks the inputs they are about. `fields` maps API field names to inputs.
function errorMessages(body) {
  if (!body || typeof body !== "object") return ["Something went wrong; try again."];
  if (typeof body.detail === "string") return [body.detail];
  const out = [];
  const walk = (v) => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(body);
  return out.length ? out : ["Something went wrong; try again."];
}

function showErrors(target, body, fields) {
  document.querySelectorAll("[aria-invalid=true]").forEach((el) => el.removeAttribute("aria-invalid"));
  if (fields && body && typeof body === "object") {
    Object.keys(body).forEach((k) => { if (fields[k]) fields[k].setAttribute("aria-invalid", "true"); });
  }
  target.textContent = body ? errorMessages(body).join(" ") : "";
  offerSignIn(target, body);
}

// A request refused because the session ended ({"code": "signed_out"}) gets a link to sign in and come back here.
function offerSignIn(target, body) {
  if (!body || body.code !== "signed_out") return;
  const a = document.createElement("a");
  a.href = `/accounts/login/?next=${encodeURIComponent(location.pathname + location.search)}`;
  a.textContent = "Log in";
  target.append(" ", a);
}

// A request already on its way is not sent again: a quick double click on Separate started two identical
// separations. The second click gets the first one's answer (the same job).
const postsInFlight = new Map();
function postJSON(url, body) {
  const key = `${url} ${JSON.stringify(body)}`;
  if (postsInFlight.has(key)) return postsInFlight.get(key);
  const sent = (async () => {
    const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body) });
    let out = {};
    try { out = await res.json(); } catch (e) { out = { detail: `The studio answered ${res.status} without details; try again.` }; }
    return { ok: res.ok, status: res.status, body: out };
  })().finally(() => postsInFlight.delete(key));
  postsInFlight.set(key, sent);
  return sent;
}

function resultLink(job) {
  const r = job.result || {};
  if (r.result_file_id) return { href: `/files/${r.result_file_id}/`, label: "Open the result" };
  if (job.job_type === "stem_mix") return { download: `/api/v1/jobs/${job.id}/download`, label: "Download" };
  if (job.job_type === "stem_separation" && job.audio_file_id) return { href: `/stems/${job.audio_file_id}/?set=${job.id}`, label: "Open the stems" };
  if (job.job_type === "mood_classify" && job.audio_file_id) return { href: `/mood/${job.audio_file_id}/`, label: "See the mood" };
  return null;
}

// One progress bar, as _job_row.html draws it: a progressbar a screen reader reads, its width and its words.
const PROGRESS_BAR = '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">' +
  '<div class="bar" style="width:0%"></div><span class="label">0 %</span></div>';

function showProgress(root, pct, words) {
  const box = root.querySelector(".progress");
  if (!box) return;
  box.setAttribute("aria-valuenow", String(pct));
  box.querySelector(".bar").style.width = `${pct}%`;
  box.querySelector(".label").textContent = words || `${pct} %`;
}

function renderJob(el, job) {
  el.dataset.jobStatus = job.status;
  showProgress(el, job.progress);
  const status = el.querySelector(".job-status");
  if (status) { status.textContent = job.status; status.className = `job-status status-${job.status}`; }
  const stage = el.querySelector(".job-stage");
  if (stage) stage.textContent = ["pending", "processing"].includes(job.status) ? (job.stage || "") : "";
  const err = el.querySelector(".job-error");
  if (err) err.textContent = job.error_message || "";
  const cancel = el.querySelector(".job-cancel");
  if (cancel && !["pending", "processing"].includes(job.status)) {
    // A focused Cancel that goes away would drop the keyboard's place to the top of the page.
    if (document.activeElement === cancel) { status.tabIndex = -1; status.focus(); }
    cancel.remove();
  }
  const links = el.querySelector(".job-links");
  const link = job.status === "completed" ? resultLink(job) : null;
  if (links && link && !links.querySelector(".job-result")) {
    const a = document.createElement("a");
    a.className = "job-result"; a.textContent = link.label;
    a.href = link.href || link.download;
    if (link.download) { a.dataset.download = link.download; bindDownload(a); }
    links.prepend(a);
  }
}

// A job row made in the page for a job it just started (the same markup as _job_row.html).
function jobRow(jobId, label, summary) {
  const shown = document.querySelector(`.job[data-job-id="${jobId}"]`);
  if (shown) return shown;  // the same job asked for twice (see postJSON): one row
  const row = document.createElement("div");
  row.className = "job"; row.dataset.jobId = jobId; row.dataset.jobStatus = "pending";
  row.innerHTML = '<div class="job-head"><span class="job-type"></span><span class="job-status status-pending" role="status">pending</span></div>' +
    `<p class="job-params small"></p>${PROGRESS_BAR}` +
    '<span class="job-stage muted small"></span><span class="job-error error small" role="alert"></span>' +
    '<span class="job-links small"><button class="link job-cancel" type="button">Cancel</button></span>';
  row.querySelector(".job-type").textContent = label;
  row.querySelector(".progress").setAttribute("aria-label", `${label}: progress`);
  row.querySelector(".job-cancel").setAttribute("aria-label", `Cancel ${label}`);
  const p = row.querySelector(".job-params");
  if (summary) p.textContent = summary; else p.remove();
  return row;
}

function bindJobElement(el) {
  if (el.dataset.bound) return;
  el.dataset.bound = "1";
  const id = el.dataset.jobId;
  const cancel = el.querySelector(".job-cancel");
  if (cancel) {
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      await fetch(`/api/v1/jobs/${id}`, { method: "DELETE", headers: { "X-CSRFToken": csrfToken() } });
    });
  }
  if (["pending", "processing"].includes(el.dataset.jobStatus)) {
    watchJob(id, (job) => {
      renderJob(el, job);
      document.body.dispatchEvent(new CustomEvent("job-update", { detail: job }));
      if (job.status === "completed") document.body.dispatchEvent(new CustomEvent("job-completed", { detail: job }));
    });
  }
}

function bindJobs(root) {
  const scope = root || document;
  scope.querySelectorAll("[data-job-id]").forEach(bindJobElement);
  // A library row whose song is being analysed shows its tempo and key once the analysis ends.
  scope.querySelectorAll("[data-analysis-job]").forEach((el) => {
    if (el.dataset.bound) return;
    el.dataset.bound = "1";
    watchJob(el.dataset.analysisJob, (job) => {
      if (["completed", "failed", "cancelled"].includes(job.status)) document.body.dispatchEvent(new CustomEvent("library-changed"));
    });
  });
}

// Uploads: every dropped or chosen file gets its own row with a progress bar; they go one after another
// (the server decodes each in full) and the library refreshes as each one lands.
function fmtSize(bytes) {  // MB of 1024 × 1024 bytes, as the file page and the server's limits say it
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} MB`;
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;  // an empty file says "0 bytes"
}

function probeDuration(file) {
  // The browser's own decoder, when it knows the format, tells the length before anything is sent.
  return new Promise((resolve) => {
    const audio = document.createElement("audio");
    const url = URL.createObjectURL(file);
    const done = (v) => { URL.revokeObjectURL(url); resolve(v); };
    const timer = setTimeout(() => done(null), 3000);
    audio.preload = "metadata";
    audio.onloadedmetadata = () => { clearTimeout(timer); done(Number.isFinite(audio.duration) ? audio.duration : null); };
    audio.onerror = () => { clearTimeout(timer); done(null); };
    audio.src = url;
  });
}

function uploadOne(zone, file, row) {
  const state = row.querySelector(".upload-state"), msg = row.querySelector(".upload-msg");
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", zone.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (ev) => {
      if (!ev.lengthComputable) return;
      const pct = Math.round((ev.loaded / ev.total) * 100);
      showProgress(row, pct, pct < 100 ? "" : "checking the audio…");
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 201) {
        row.dataset.state = "done"; state.textContent = "uploaded";
        showProgress(row, 100);
        msg.innerHTML = "";
        const a = document.createElement("a");
        a.href = `/files/${body.id}/`; a.textContent = "Open it — analysing now";
        msg.appendChild(a);
        document.body.dispatchEvent(new CustomEvent("library-changed"));
        resolve(body);
      } else {
        row.dataset.state = "failed"; state.textContent = "not uploaded";
        msg.textContent = errorMessages(body).join(" ") || `The upload failed (${xhr.status}); try again.`;
        offerSignIn(msg, body);
        resolve(null);
      }
    };
    xhr.onerror = () => {
      row.dataset.state = "failed"; state.textContent = "not uploaded";
      msg.textContent = "The connection dropped during the upload; try again."; resolve(null);
    };
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

async function uploadFiles(zone, files) {
  const list = zone.querySelector(".uploads");
  const maxBytes = Number(zone.dataset.maxMb) * 1024 * 1024, maxSeconds = Number(zone.dataset.maxSeconds);
  const rows = Array.from(files).map((file) => {
    const row = document.createElement("li");
    row.className = "upload"; row.dataset.state = "waiting";
    row.innerHTML = '<span class="upload-name"></span><span class="upload-state muted small" role="status">waiting</span>' +
      `${PROGRESS_BAR}<span class="upload-msg"></span>`;
    row.querySelector(".upload-name").textContent = `${file.name} · ${fmtSize(file.size)}`;
    row.querySelector(".progress").setAttribute("aria-label", `Upload of ${file.name}`);
    list.appendChild(row);
    return [file, row];
  });
  let last = null, ok = 0;
  for (const [file, row] of rows) {
    const state = row.querySelector(".upload-state"), msg = row.querySelector(".upload-msg");
    if (file.size === 0) {  // said here: the browser's length probe of an empty file logs a network error
      row.dataset.state = "failed"; state.textContent = "not uploaded";
      msg.textContent = `${file.name} is empty (0 bytes): there is no sound in it to upload.`;
      continue;
    }
    if (file.size > maxBytes) {
      row.dataset.state = "failed"; state.textContent = "not uploaded";
      msg.textContent = `${file.name} is ${fmtSize(file.size)}; songs can be up to ${zone.dataset.maxMb} MB. Export a shorter or compressed version (MP3, FLAC, OGG).`;
      continue;
    }
    const seconds = await probeDuration(file);
    if (seconds && seconds > maxSeconds + 0.5) {
      row.dataset.state = "failed"; state.textContent = "not uploaded";
      msg.textContent = `${file.name} lasts ${Math.round(seconds / 60 * 10) / 10} minutes; songs can be up to ${Math.round(maxSeconds / 6) / 10} minutes. Trim it and drop it again.`;
      continue;
    }
    row.dataset.state = "uploading"; state.textContent = "uploading";
    const body = await uploadOne(zone, file, row);
    if (body) { ok += 1; last = body; }
  }
  // One song: go straight to it, as before. Several: stay here, each row links to its song.
  if (rows.length === 1 && ok === 1) window.location.href = `/files/${last.id}/`;
}

function bindDropzone() {
  const zone = document.getElementById("dropzone");
  if (!zone) return;
  const input = document.getElementById("file-input");
  input.addEventListener("change", () => { if (input.files.length) uploadFiles(zone, input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => { if (e.dataTransfer.files.length) uploadFiles(zone, e.dataTransfer.files); });
  // Only the zone itself opens the picker: the upload list inside it holds links to the uploaded songs.
  zone.addEventListener("keydown", (e) => {
    if (e.target === zone && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); input.click(); }
  });
}

// Download links ask the API for a signed link (with the file's meaningful name) and follow it; one answer can
// hold several files (a generated track's audio and MIDI), data-download-field says which one the link is for.
function bindDownload(a) {
  if (a.dataset.bound) return;
  a.dataset.bound = "1";
  a.addEventListener("click", async (e) => {
    e.preventDefault();
    const res = await fetch(a.dataset.download, { headers: { Accept: "application/json" } });
    const body = await res.json().catch(() => ({}));
    const url = body[a.dataset.downloadField || "url"];
    if (res.ok && url) window.location.href = url;
    else alert(errorMessages(body).join(" "));
  });
}

function bindDownloads(root) { (root || document).querySelectorAll("[data-download]").forEach(bindDownload); }

// The jobs page's first page says when jobs started elsewhere (another tab, the API) instead of missing them;
// the rows it shows follow their own progress.
function watchForNewJobs() {
  const list = document.querySelector(".job-list[data-newest]"), note = document.getElementById("new-jobs");
  if (!list || !note) return;
  const timer = setInterval(async () => {
    try {
      const res = await fetch("/api/v1/jobs", { headers: { Accept: "application/json" } });
      if (!res.ok) return;
      const body = await res.json(), newest = (body.results || body)[0];
      if (newest && newest.id !== list.dataset.newest) { note.hidden = false; clearInterval(timer); }
    } catch (e) { /* offline for a moment: the next poll tries again */ }
  }, 10000);
}

document.addEventListener("DOMContentLoaded", () => {
  bindJobs();
  bindDropzone();
  bindDownloads();
  watchForNewJobs();
  // A list that refreshes itself (the library when an analysis ends) keeps the keyboard's place: the link or
  // button that had focus is found again in the new content by what it points at or is named.
  let refocus = null;
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    const el = document.activeElement;
    refocus = el && el !== document.body && e.detail.target.contains(el)
      ? (el.getAttribute("href") ? `${el.tagName}[href="${CSS.escape(el.getAttribute("href"))}"]` : el.id ? `#${CSS.escape(el.id)}` : null)
      : null;
  });
  document.body.addEventListener("htmx:afterSwap", (e) => {
    bindJobs(e.target); bindDownloads(e.target);
    const again = refocus && e.target.querySelector(refocus);
    if (again) again.focus();
    refocus = null;
  });
  // A page that waits for an analysis reloads its facts when the job completes.
  document.body.addEventListener("job-completed", (e) => {
    if (e.detail.job_type === "analysis" && document.getElementById("analysis-pending")) window.location.reload();
  });
});

window.SonicAI = { watchJob, bindJobs, bindDownloads, csrfToken, errorMessages, showErrors, postJSON, jobRow };

// Forms that destroy something ask first (data-confirm="question"); no inline handlers under the CSP.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
