// Stem mixer: Web Audio playback of every stem in sync, with per-stem gain, mute,
// solo, level meters and waveform; exports are rendered on the server.
"use strict";

(function () {
  const csrf = () => window.SonicAI.csrfToken();

  function bindSeparateForm() {
    const form = document.getElementById("separate-form");
    if (!form) return;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const body = { audio_file_id: form.dataset.audioId, engine: data.engine };
      if (data.start) body.start = parseFloat(data.start);
      if (data.end) body.end = parseFloat(data.end);
      const res = await fetch("/api/v1/stems/separate", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify(body),
      });
      const out = await res.json();
      const err = form.querySelector(".form-error");
      if (res.status !== 202) { err.textContent = out.detail || JSON.stringify(out); return; }
      err.textContent = "";
      const row = document.createElement("div");
      row.className = "job"; row.dataset.jobId = out.job_id; row.dataset.jobStatus = "pending";
      row.innerHTML = '<span class="job-type">Stem separation</span><div class="progress"><div class="bar" style="width:0%"></div><span class="label">0 %</span></div><span class="job-status">pending</span><span class="job-stage muted"></span><span class="job-error error"></span><button class="link job-cancel" type="button">Cancel</button>';
      document.getElementById("jobs").prepend(row);
      window.SonicAI.bindJobs(document.getElementById("jobs"));
    });
    document.body.addEventListener("job-completed", (e) => {
      if (e.detail.job_type === "stem_separation") window.location.reload();
    });
  }

  function drawPeaks(canvas, peaks) {
    const ctx = canvas.getContext("2d");
    const w = (canvas.width = canvas.clientWidth * devicePixelRatio);
    const h = (canvas.height = canvas.clientHeight * devicePixelRatio);
    ctx.clearRect(0, 0, w, h);
    if (!peaks || !peaks.length) return;
    const ch = peaks[0];
    const max = Math.max(1e-6, ...ch);
    ctx.fillStyle = "#7c6cf2";
    for (let x = 0; x < w; x++) {
      const v = ch[Math.floor((x / w) * ch.length)] / max;
      ctx.fillRect(x, h / 2 - (v * h) / 2, 1, Math.max(1, v * h));
    }
  }

  async function buildMixer() {
    const stems = JSON.parse(document.getElementById("mixer-data").textContent);
    const root = document.getElementById("mixer");
    if (!root || !stems.length) return;
    const ac = new (window.AudioContext || window.webkitAudioContext)();
    const master = ac.createGain();
    master.connect(ac.destination);
    const tracks = stems.map((s) => {
      const row = document.createElement("div");
      row.className = "stem-row";
      row.innerHTML = `<span class="stem-name">${s.type}</span>
        <canvas class="stem-wave"></canvas>
        <meter class="stem-meter" min="0" max="1" value="0"></meter>
        <label class="inline"><input type="range" class="stem-gain" min="-30" max="12" step="0.5" value="0"> <span class="gain-db mono">0.0 dB</span></label>
        <button type="button" class="stem-mute">M</button><button type="button" class="stem-solo">S</button>
        <button type="button" class="stem-export" title="Export this stem in the chosen format">⤓</button>`;
      root.appendChild(row);
      drawPeaks(row.querySelector("canvas"), s.peaks);
      const gain = ac.createGain();
      const analyser = ac.createAnalyser();
      analyser.fftSize = 1024;
      gain.connect(analyser);
      analyser.connect(master);
      return { ...s, row, gain, analyser, db: 0, mute: false, solo: false, buffer: null, source: null };
    });
    const status = document.getElementById("export-status");
    status.textContent = "loading stems…";
    await Promise.all(tracks.map(async (t) => {
      const data = await (await fetch(t.url)).arrayBuffer();
      t.buffer = await ac.decodeAudioData(data);
    }));
    if (status.textContent === "loading stems…") status.textContent = "";  // keep an export started meanwhile
    root.dataset.ready = "1";
    const duration = Math.max(...tracks.map((t) => t.buffer.duration));

    function applyGains() {
      const anySolo = tracks.some((t) => t.solo);
      tracks.forEach((t) => {
        const on = !t.mute && (!anySolo || t.solo);
        t.gain.gain.value = on ? Math.pow(10, t.db / 20) : 0;
        t.row.querySelector(".stem-mute").classList.toggle("on", t.mute);
        t.row.querySelector(".stem-solo").classList.toggle("on", t.solo);
      });
    }
    tracks.forEach((t) => {
      t.row.querySelector(".stem-gain").addEventListener("input", (e) => {
        t.db = parseFloat(e.target.value);
        t.row.querySelector(".gain-db").textContent = `${t.db.toFixed(1)} dB`;
        applyGains();
      });
      t.row.querySelector(".stem-mute").addEventListener("click", () => { t.mute = !t.mute; applyGains(); });
      t.row.querySelector(".stem-solo").addEventListener("click", () => { t.solo = !t.solo; applyGains(); });
    });

    let playing = false, startedAt = 0, offset = 0;
    const playBtn = document.getElementById("mix-play");
    const seek = document.getElementById("mix-seek");
    const time = document.getElementById("mix-time");
    function stopSources() { tracks.forEach((t) => { if (t.source) { t.source.onended = null; t.source.stop(); t.source = null; } }); }
    function play() {
      stopSources();
      const when = ac.currentTime + 0.05;
      tracks.forEach((t) => {
        const src = ac.createBufferSource();
        src.buffer = t.buffer;
        src.connect(t.gain);
        src.start(when, offset);
        t.source = src;
      });
      startedAt = when - offset;
      playing = true;
      playBtn.textContent = "❚❚ Pause";
    }
    function pause() { offset = Math.min(duration, ac.currentTime - startedAt); stopSources(); playing = false; playBtn.textContent = "▶ Play"; }
    playBtn.addEventListener("click", async () => { await ac.resume(); playing ? pause() : play(); });
    seek.addEventListener("input", () => { offset = (seek.value / 1000) * duration; if (playing) play(); });
    const buf = new Float32Array(1024);
    (function tick() {
      const pos = playing ? ac.currentTime - startedAt : offset;
      if (playing && pos >= duration) { pause(); offset = 0; }
      time.textContent = `${Math.floor(pos / 60)}:${String(Math.floor(pos % 60)).padStart(2, "0")}`;
      if (playing) seek.value = String(Math.round((pos / duration) * 1000));
      tracks.forEach((t) => {
        t.analyser.getFloatTimeDomainData(buf);
        let peak = 0; for (const v of buf) peak = Math.max(peak, Math.abs(v));
        t.row.querySelector("meter").value = peak;
      });
      requestAnimationFrame(tick);
    })();
    applyGains();

    // One render path for both: the whole mix with the mixer's settings, or one stem alone at 0 dB.
    async function exportMix(gains, label) {
      const fmt = document.getElementById("export-format").value;
      const res = await fetch(`/api/v1/stems/jobs/${root.dataset.jobId}/mix`, {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ gains, format: fmt }),
      });
      const out = await res.json();
      if (res.status !== 202) { status.textContent = out.detail || "export failed"; return; }
      status.textContent = `rendering ${label}…`;
      window.SonicAI.watchJob(out.job_id, async (job) => {
        status.textContent = `${label}: ${job.status} ${job.progress} %`;
        if (job.status === "completed") {
          const link = await (await fetch(`/api/v1/jobs/${out.job_id}/download`)).json();
          status.innerHTML = `<a href="${link.url}">Download ${label} (${fmt.toUpperCase()})</a>`;
        } else if (job.status === "failed") {
          status.textContent = job.error_message;
        }
      });
    }
    document.getElementById("export-mix").addEventListener("click", () => {
      const gains = {};
      tracks.forEach((t) => { gains[t.type] = { gain_db: t.db, mute: t.mute, solo: t.solo }; });
      exportMix(gains, "mix");
    });
    tracks.forEach((t) => {
      t.row.querySelector(".stem-export").addEventListener("click", () => {
        const gains = {};
        tracks.forEach((o) => { gains[o.type] = { gain_db: 0, mute: o !== t, solo: false }; });
        exportMix(gains, t.type);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => { bindSeparateForm(); buildMixer(); });
})();
