// Transcription page: start a stems-to-MIDI job, follow it live, draw its notes as a piano roll (one colour per
// track, toggles per track) that follows the song while it plays, and list the .mid downloads.
import { noteName } from "./keys.js";

const COLOURS = { vocals: "#ffd166", bass: "#4ade80", other: "#7c6cf2", drums: "#ff6b6b", guitar: "#60a5fa",
                  piano: "#c9a7ff", mix: "#7c6cf2", accompaniment: "#9a9bb8" };

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("transcription");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const form = $("transcribe-form"), err = form.querySelector(".form-error");
  form.querySelector("button[type=submit]").disabled = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    const res = await fetch("/api/v1/practice/transcribe", {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": window.SonicAI.csrfToken() },
      body: JSON.stringify({ audio_file_id: root.dataset.audioId, source: $("source").value }) });
    const out = await res.json();
    if (res.status !== 202) { err.textContent = out.detail || Object.values(out).flat().join(" "); return; }
    const row = document.createElement("div");
    row.className = "job"; row.dataset.jobId = out.job_id; row.dataset.jobStatus = "pending";
    row.innerHTML = '<span class="job-type">Transcription</span><div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0" aria-label="Transcription: progress"><div class="bar"></div><span class="label">0 %</span></div><span class="job-status" role="status">pending</span><span class="job-stage muted"></span><span class="job-error error" role="alert"></span><button class="link job-cancel" type="button" aria-label="Cancel Transcription">Cancel</button>';
    $("jobs").prepend(row);
    window.SonicAI.bindJobs($("jobs"));
  });
  document.body.addEventListener("job-completed", (e) => { if (e.detail.job_type === "transcription") show(e.detail.id); });
  document.querySelectorAll(".show-job").forEach((b) => b.addEventListener("click", () => show(b.dataset.jobIdShow)));
  window.SonicAI.bindJobs($("jobs"));
  if (root.dataset.jobId) show(root.dataset.jobId);

  let roll = null;
  const audio = $("roll-audio");
  $("roll-play").addEventListener("click", () => { if (audio.paused) { audio.play(); $("roll-play").textContent = "❚❚ Pause"; } else { audio.pause(); $("roll-play").textContent = "▶ Play the song"; } });

  async function show(jobId) {
    const [notesRes, jobRes] = await Promise.all([fetch(`/api/v1/practice/transcriptions/${jobId}/notes`), fetch(`/api/v1/practice/transcriptions/${jobId}`)]);
    if (!notesRes.ok) return;
    const notes = await notesRes.json(), job = await jobRes.json();
    $("roll-card").hidden = false;
    roll = drawRoll($("pianoroll"), notes, $("tracks"), (t) => { audio.currentTime = t; });
    const links = $("downloads");
    links.textContent = "Download: ";
    job.downloads.forEach((name, i) => {
      const a = document.createElement("a");
      a.href = "#"; a.textContent = `${name}.mid`; a.dataset.name = name; a.className = "midi-download";
      a.addEventListener("click", async (ev) => {
        ev.preventDefault();
        const r = await fetch(`/api/v1/jobs/${jobId}/download?name=${encodeURIComponent(name)}`);
        if (r.ok) window.location.href = (await r.json()).url;
      });
      if (i) links.append(" · ");
      links.append(a);
    });
    root.dataset.shown = jobId;
  }
  function tick() {
    if (roll) roll.setTime(audio.currentTime);
    $("roll-time").textContent = `${Math.floor(audio.currentTime / 60)}:${String(Math.floor(audio.currentTime % 60)).padStart(2, "0")}`;
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
});

const AXIS_W = 34, RULER_H = 16;  // CSS px: the pitch axis on the left, the time ruler on top
/** MIDI note name in scientific pitch notation: 60 = "C4". */
function noteLabel(p) { return `${noteName(p, false)}${Math.floor(p / 12) - 1}`; }

function drawRoll(canvas, data, toggles, onSeek) {
  const g = canvas.getContext("2d");
  const names = Object.keys(data.tracks);
  const visible = Object.fromEntries(names.map((n) => [n, true]));
  let time = 0;
  toggles.replaceChildren(...names.map((n) => {
    const label = document.createElement("label");
    label.className = "inline small";
    const box = document.createElement("input");
    box.type = "checkbox"; box.checked = true;
    box.addEventListener("change", () => { visible[n] = box.checked; draw(); });
    const sw = document.createElement("span");
    sw.className = "swatch"; sw.style.background = COLOURS[n] || "#9a9bb8";
    label.append(box, sw, `${n} (${data.tracks[n].notes.length})`);
    return label;
  }));
  const pitched = names.flatMap((n) => data.tracks[n].drums ? [] : data.tracks[n].notes.map((r) => r[2]));
  const lo = Math.max(0, (pitched.length ? Math.min(...pitched) : 36) - 2), hi = Math.min(127, (pitched.length ? Math.max(...pitched) : 84) + 2);
  const window_ = Math.min(20, data.duration || 20);
  const viewStart = () => Math.max(0, Math.min(time - window_ * 0.25, (data.duration || 0) - window_));
  function draw() {
    const dpr = devicePixelRatio, W = canvas.width = canvas.clientWidth * dpr, H = canvas.height = canvas.clientHeight * dpr;
    const t0 = viewStart(), t1 = t0 + window_;
    g.clearRect(0, 0, W, H);
    const ax = AXIS_W * dpr, top = RULER_H * dpr;
    drawAxes(W, H, ax, top, t0);
    // The notes are drawn in the area right of the pitch axis and under the ruler.
    g.save();
    g.beginPath(); g.rect(ax, top, W - ax, H - top); g.clip();
    g.translate(ax, top);
    const w = W - ax, h = H - top;
    const rows = hi - lo + 1, rowH = h / rows;
    for (let p = lo; p <= hi; p++) if ([1, 3, 6, 8, 10].includes(p % 12)) { g.fillStyle = "rgba(0,0,0,0.18)"; g.fillRect(0, h - (p - lo + 1) * rowH, w, rowH); }
    for (const n of names) {
      if (!visible[n]) continue;
      g.fillStyle = COLOURS[n] || "#9a9bb8";
      for (const [s, e, p, v] of data.tracks[n].notes) {
        if (e < t0 || s > t1) continue;
        // Drum notes (GM keys 35-81) are drawn as short ticks in the row of their key.
        const y = h - (Math.min(hi, Math.max(lo, p)) - lo + 1) * rowH;
        g.globalAlpha = 0.45 + 0.55 * v / 127;
        g.fillRect((s - t0) / window_ * w, y, Math.max(2, (e - s) / window_ * w), Math.max(2, rowH - 1));
      }
    }
    g.globalAlpha = 1;
    g.fillStyle = "#ffd166";
    g.fillRect((time - t0) / window_ * w, 0, 2 * dpr, h);
    g.restore();
  }
  // Note names on every C (and the lowest row) beside the pitch rows; seconds along the top.
  function drawAxes(W, H, ax, top, t0) {
    const dpr = devicePixelRatio, h = H - top, rowH = h / (hi - lo + 1), w = W - ax;
    const css = getComputedStyle(canvas);
    g.fillStyle = css.getPropertyValue("--muted").trim() || "#9a9bb8";
    g.font = `${10 * dpr}px system-ui, sans-serif`;
    g.textBaseline = "middle";
    for (let p = lo; p <= hi; p++) {
      if (p % 12 !== 0) continue;
      const y = top + h - (p - lo + 0.5) * rowH;
      g.fillText(noteLabel(p), 3 * dpr, y);
      g.fillRect(ax - 4 * dpr, top + h - (p - lo) * rowH, 4 * dpr, Math.max(1, dpr));  // C's lower edge
    }
    // Labelled as the mixer's and the player's rulers are (trackview.js).
    const sp = window.TrackView.rulerSpacing(w / dpr / window_), step = sp.label;
    g.textBaseline = "top";
    for (let s = Math.ceil(t0 / step) * step; s <= t0 + window_; s += step) {
      const x = ax + (s - t0) / window_ * w;
      g.fillRect(x, 0, Math.max(1, dpr), top * 0.45);
      g.fillText(window.TrackView.fmtTime(s, sp.decimals), x + 3 * dpr, 2 * dpr);
    }
    g.fillRect(ax, top - dpr, w, dpr);
  }
  draw();
  window.addEventListener("resize", draw);
  // A click on the notes moves the song's playhead there.
  canvas.addEventListener("click", (e) => {
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left - AXIS_W;
    if (x < 0 || !onSeek) return;
    const t = viewStart() + x / Math.max(1, r.width - AXIS_W) * window_;
    onSeek(Math.max(0, Math.min(data.duration || t, t)));
  });
  canvas.style.cursor = onSeek ? "pointer" : "";
  canvas.dataset.noteLabels = [...Array(hi - lo + 1).keys()].map((i) => lo + i).filter((p) => p % 12 === 0).map(noteLabel).join(" ");
  return { setTime(t) { if (Math.abs(t - time) > 0.02) { time = t; draw(); } } };
}
