// Remix studio: genre chips with previews, BPM slider with tap tempo, pitch, effects
// presets, and a before/after comparison with an A/B switch.
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  const root = document.getElementById("remix-studio");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const audioId = root.dataset.audioId;
  const sourceBpm = parseFloat(root.dataset.sourceBpm) || null;
  const err = root.querySelector(".form-error");
  let genre = "";
  let bpmTouched = false;

  root.querySelectorAll(".chip").forEach((chip) => chip.addEventListener("click", () => {
    root.querySelectorAll(".chip").forEach((c) => c.classList.remove("on"));
    chip.classList.add("on");
    genre = chip.dataset.genre;
  }));

  const bpm = $("bpm");
  function showBpm() {
    $("bpm-value").textContent = Number(bpm.value).toFixed(1);
    $("bpm-pct").textContent = sourceBpm ? `(${((bpm.value / sourceBpm - 1) * 100).toFixed(1)} %)` : "";
  }
  bpm.addEventListener("input", () => { bpmTouched = true; showBpm(); });
  $("bpm-reset").addEventListener("click", () => { bpmTouched = false; if (sourceBpm) bpm.value = sourceBpm; showBpm(); });
  showBpm();
  let taps = [];
  $("tap").addEventListener("click", () => {
    const now = performance.now();
    taps = taps.filter((t) => now - t < 3000).concat(now);
    if (taps.length >= 3) {
      const gaps = taps.slice(1).map((t, i) => t - taps[i]);
      bpm.value = (60000 / (gaps.reduce((a, b) => a + b) / gaps.length)).toFixed(1);
      bpmTouched = true; showBpm();
    }
  });
  $("pitch").addEventListener("input", (e) => { $("pitch-value").textContent = e.target.value; });
  $("preset").addEventListener("change", (e) => { $("effects").value = e.target.value ? JSON.stringify(e.target.value) : ""; });

  async function post(url, body) {
    const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": window.SonicAI.csrfToken() }, body: JSON.stringify(body) });
    const out = await res.json();
    if (res.status !== 202) throw new Error(out.detail || JSON.stringify(out));
    return out.job_id;
  }

  function request() {
    const body = { audio_file_id: audioId };
    const start = $("start").value, end = $("end").value;
    if (start) body.start = parseFloat(start);
    if (end) body.end = parseFloat(end);
    const fx = $("effects").value.trim();
    if (fx) body.effects = JSON.parse(fx);
    const pitch = parseFloat($("pitch").value);
    if (genre) return ["/api/v1/remix/genre", { ...body, genre, genre_engine: $("genre-engine").value, target_bpm: bpmTouched ? parseFloat(bpm.value) : null }, pitch];
    if (bpmTouched) return ["/api/v1/remix/tempo", { ...body, target_bpm: parseFloat(bpm.value), preserve_formants: $("formants").checked }, pitch];
    if (pitch) return ["/api/v1/remix/pitch", { ...body, semitones: pitch, preserve_formants: $("formants").checked }, 0];
    if (fx) return ["/api/v1/remix/effects", body, 0];
    throw new Error("Choose a genre, a tempo, a pitch shift or effects first.");
  }

  function track(jobId, label, done) {
    const row = document.createElement("div");
    row.className = "job"; row.dataset.jobId = jobId; row.dataset.jobStatus = "pending";
    row.innerHTML = `<span class="job-type">${label}</span><div class="progress"><div class="bar" style="width:0%"></div><span class="label">0 %</span></div><span class="job-status">pending</span><span class="job-stage muted"></span><span class="job-error error"></span><button class="link job-cancel" type="button">Cancel</button>`;
    $("jobs").prepend(row);
    window.SonicAI.bindJobs($("jobs"));
    window.SonicAI.watchJob(jobId, (job) => { if (job.status === "completed") done(job); });
  }

  $("render").addEventListener("click", async () => {
    err.textContent = "";
    try {
      const [url, body] = request();
      const jobId = await post(url, body);
      track(jobId, "Remix", (job) => showCompare(job.result.result_file_id));
    } catch (e) { err.textContent = e.message; }
  });

  $("preview-genre").addEventListener("click", async () => {
    err.textContent = "";
    if (!genre) { err.textContent = "Pick a genre to preview."; return; }
    const dur = parseFloat(root.dataset.duration);
    const start = Math.max(0, Math.min(parseFloat($("start").value) || dur * 0.3, dur - 12));
    try {
      const jobId = await post("/api/v1/remix/genre", { audio_file_id: audioId, genre, genre_engine: $("genre-engine").value, start, end: Math.min(dur, start + 12) });
      track(jobId, `Preview ${genre}`, (job) => {
        const a = $("genre-preview"); a.src = `/files/${job.result.result_file_id}/stream`; a.hidden = false; a.play();
      });
    } catch (e) { err.textContent = e.message; }
  });

  let wsA = null, wsB = null, which = "A";
  function showCompare(resultId) {
    $("compare").hidden = false;
    $("result-link").href = `/files/${resultId}/`;
    [wsA, wsB].forEach((w) => w && w.destroy());
    const opts = { height: 90, waveColor: "#7c6cf2", progressColor: "#c9a7ff", cursorColor: "#ffd166" };
    wsA = WaveSurfer.create({ container: "#wave-a", url: `/files/${audioId}/stream`, ...opts });
    wsB = WaveSurfer.create({ container: "#wave-b", url: `/files/${resultId}/stream`, ...opts });
    wsB.setMuted(true);
    which = "A"; $("ab-which").textContent = "A (before)";
  }
  $("ab-play").addEventListener("click", () => {
    if (!wsA) return;
    if (wsA.isPlaying()) { wsA.pause(); wsB.pause(); $("ab-play").textContent = "▶ Play"; return; }
    wsA.play(); wsB.play(); $("ab-play").textContent = "❚❚ Pause";
  });
  $("ab-switch").addEventListener("click", () => {
    if (!wsA) return;
    which = which === "A" ? "B" : "A";
    wsA.setMuted(which !== "A"); wsB.setMuted(which !== "B");
    $("ab-which").textContent = which === "A" ? "A (before)" : "B (after)";
  });
  document.querySelectorAll(".compare-btn").forEach((b) => b.addEventListener("click", () => showCompare(b.dataset.resultId)));
});
