// SonicAI studio: live job progress over WebSockets, uploads with progress, downloads.
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

function renderJob(el, job) {
  el.dataset.jobStatus = job.status;
  const bar = el.querySelector(".bar");
  const label = el.querySelector(".label");
  if (bar) bar.style.width = `${job.progress}%`;
  if (label) label.textContent = `${job.progress} %`;
  const status = el.querySelector(".job-status");
  if (status) { status.textContent = job.status; status.className = `job-status status-${job.status}`; }
  const stage = el.querySelector(".job-stage");
  if (stage) stage.textContent = job.stage || "";
  const err = el.querySelector(".job-error");
  if (err) err.textContent = job.error_message || "";
  const cancel = el.querySelector(".job-cancel");
  if (cancel && !["pending", "processing"].includes(job.status)) cancel.remove();
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

function bindJobs(root) { (root || document).querySelectorAll("[data-job-id]").forEach(bindJobElement); }

// Upload with a real progress bar (XMLHttpRequest reports upload progress; fetch does not).
function uploadFile(zone, file) {
  const bar = zone.querySelector(".progress");
  const err = zone.querySelector(".upload-error");
  err.hidden = true;
  bar.hidden = false;
  const xhr = new XMLHttpRequest();
  xhr.open("POST", zone.dataset.uploadUrl);
  xhr.setRequestHeader("X-CSRFToken", csrfToken());
  xhr.upload.onprogress = (ev) => {
    if (!ev.lengthComputable) return;
    const pct = Math.round((ev.loaded / ev.total) * 100);
    bar.querySelector(".bar").style.width = `${pct}%`;
    bar.querySelector(".label").textContent = `${pct} %`;
  };
  xhr.onload = () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
    if (xhr.status === 201) {
      window.location.href = `/files/${body.id}/`;
    } else {
      bar.hidden = true;
      err.textContent = body.detail || `Upload failed (${xhr.status}).`;
      err.hidden = false;
    }
  };
  xhr.onerror = () => { bar.hidden = true; err.textContent = "Network error during upload."; err.hidden = false; };
  const form = new FormData();
  form.append("file", file);
  xhr.send(form);
}

function bindDropzone() {
  const zone = document.getElementById("dropzone");
  if (!zone) return;
  const input = document.getElementById("file-input");
  input.addEventListener("change", () => input.files[0] && uploadFile(zone, input.files[0]));
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => e.dataTransfer.files[0] && uploadFile(zone, e.dataTransfer.files[0]));
}

function bindDownloads() {
  document.querySelectorAll("[data-download]").forEach((a) => a.addEventListener("click", async (e) => {
    e.preventDefault();
    const res = await fetch(a.dataset.download, { headers: { Accept: "application/json" } });
    if (res.ok) window.location.href = (await res.json()).url;
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  bindJobs();
  bindDropzone();
  bindDownloads();
  document.body.addEventListener("htmx:afterSwap", (e) => bindJobs(e.target));
  // A page that waits for an analysis reloads its facts when the job completes.
  document.body.addEventListener("job-completed", (e) => {
    if (e.detail.job_type === "analysis" && document.getElementById("analysis-pending")) window.location.reload();
  });
});

window.SonicAI = { watchJob, bindJobs, csrfToken };

// Forms that destroy something ask first (data-confirm="question"); no inline handlers under the CSP.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
