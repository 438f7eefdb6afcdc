// Stem mixer: Web Audio playback of every stem in sync, with per-stem gain, mute, solo and level meters.
// The stems are drawn as lanes (peak and RMS layers from the decoded audio) under one playhead; a click on any
// lane seeks all of them. Exports are rendered on the server.
"use strict";

(function () {
  const S = () => window.SonicAI;
  const TV = () => window.TrackView;

  function bindSeparateForm() {
    const form = document.getElementById("separate-form");
    if (!form) return;
    const err = document.querySelector(".form-error");
    const duration = parseFloat(form.dataset.duration) || 0;
    form.querySelector("button[type=submit]").disabled = false;  // the handler below is in place now
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const body = { audio_file_id: form.dataset.audioId, engine: data.engine };
      const fields = { start: form.elements.start, end: form.elements.end, engine: form.elements.engine };
      // Said here before asking the server: numbers the page can check itself.
      const start = data.start === "" ? null : Number(data.start), end = data.end === "" ? null : Number(data.end);
      if (start !== null && !(start >= 0)) return S().showErrors(err, { start: ["The region's start must be 0 s or later."] }, fields);
      if (end !== null && !(end > 0)) return S().showErrors(err, { end: ["The region's end must be after 0 s."] }, fields);
      if (start !== null) body.start = start;
      if (end !== null) body.end = end;
      if (end !== null && duration && end > duration + 0.05) {
        return S().showErrors(err, { end: [`The song lasts ${duration.toFixed(1)} s: the region's end must be ${duration.toFixed(1)} s or earlier.`] }, fields);
      }
      const res = await S().postJSON("/api/v1/stems/separate", body);
      if (res.status !== 202) { S().showErrors(err, res.body, fields); return; }
      S().showErrors(err, null);
      const row = S().jobRow(res.body.job_id, "Stem separation", res.body.summary);
      document.getElementById("jobs").prepend(row);
      S().bindJobs(document.getElementById("jobs"));
    });
    document.body.addEventListener("job-completed", (e) => {
      if (e.detail.job_type === "stem_separation") window.location.reload();
    });
  }

  async function buildMixer() {
    const stems = JSON.parse(document.getElementById("mixer-data").textContent);
    const root = document.getElementById("mixer");
    // A region's stems start at the region: the ruler and the clock read song time, as on the file page.
    const songStart = root ? parseFloat(root.dataset.start) || 0 : 0;
    if (!root || !stems.length) return;
    const ac = new (window.AudioContext || window.webkitAudioContext)();
    const master = ac.createGain();
    master.connect(ac.destination);
    const tracks = stems.map((s) => {
      const row = document.createElement("div");
      row.className = "stem-row";
      row.dataset.stem = s.type;
      row.innerHTML = `<div class="stem-side">
          <span class="stem-name"></span>
          <span class="stem-buttons"><button type="button" class="stem-mute" title="Mute" aria-pressed="false">M</button><button type="button" class="stem-solo" title="Solo" aria-pressed="false">S</button><button type="button" class="stem-export" title="Export this stem alone">⤓</button></span>
          <span class="stem-gainrow"><input type="range" class="stem-gain" min="-30" max="12" step="0.5" value="0"><output class="gain-db mono small">0.0 dB</output></span>
          <meter class="stem-meter" min="0" max="1" low="0.7" high="0.9" optimum="0.3" value="0"></meter>
        </div>
        <div class="stem-lane" title="Click to jump here"><canvas></canvas><span class="playhead"></span></div>`;
      row.querySelector(".stem-name").textContent = s.type;
      row.querySelector(".stem-gain").setAttribute("aria-label", `${s.type} level`);
      // Screen readers hear "Mute vocals", not "M"; the lane and meter say what they show.
      row.querySelector(".stem-mute").setAttribute("aria-label", `Mute ${s.type}`);
      row.querySelector(".stem-solo").setAttribute("aria-label", `Solo ${s.type}`);
      row.querySelector(".stem-export").setAttribute("aria-label", `Export ${s.type} alone`);
      row.querySelector(".stem-meter").setAttribute("aria-label", `${s.type} level meter`);
      row.querySelector(".stem-lane canvas").setAttribute("role", "img");
      row.querySelector(".stem-lane canvas").setAttribute("aria-label", `${s.type} waveform`);
      root.appendChild(row);
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
    const duration = Math.max(...tracks.map((t) => t.buffer.duration));

    // Lanes share one peak so a quiet stem looks quiet; redrawn at the lane's pixel width (phone or desk).
    const channelsOf = (b) => Array.from({ length: Math.min(2, b.numberOfChannels) }, (_, c) => b.getChannelData(c));
    const peak = Math.max(...tracks.map((t) => TV().globalPeak(channelsOf(t.buffer))));
    function drawLanes() {
      tracks.forEach((t) => {
        const canvas = t.row.querySelector("canvas");
        canvas.width = Math.max(1, Math.round(canvas.clientWidth * devicePixelRatio));
        canvas.height = Math.max(1, Math.round(canvas.clientHeight * devicePixelRatio));
        TV().drawLayers(canvas.getContext("2d"), channelsOf(t.buffer), peak);
      });
      const ruler = document.getElementById("mix-ruler");
      const lane = tracks[0].row.querySelector(".stem-lane");
      ruler.innerHTML = "";
      const width = lane.clientWidth;
      ruler.style.marginLeft = `${lane.offsetLeft}px`;
      ruler.style.width = `${width}px`;
      const sp = TV().rulerSpacing(width / duration);
      for (let s = 0; s <= duration; s += sp.label) {
        const tick = document.createElement("span");
        tick.style.left = `${(s / duration) * 100}%`;
        tick.textContent = TV().fmtTime(songStart + s, sp.decimals);
        ruler.appendChild(tick);
      }
    }
    drawLanes();
    let resizeTimer = null;
    window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawLanes, 150); });
    root.dataset.ready = "1";

    function applyGains() {
      const anySolo = tracks.some((t) => t.solo);
      tracks.forEach((t) => {
        const on = !t.mute && (!anySolo || t.solo);
        t.gain.gain.value = on ? Math.pow(10, t.db / 20) : 0;
        t.row.classList.toggle("silent", !on);
        const m = t.row.querySelector(".stem-mute"), s = t.row.querySelector(".stem-solo");
        m.classList.toggle("on", t.mute); m.setAttribute("aria-pressed", String(t.mute));
        s.classList.toggle("on", t.solo); s.setAttribute("aria-pressed", String(t.solo));
      });
    }
    tracks.forEach((t) => {
      t.row.querySelector(".stem-gain").addEventListener("input", (e) => {
        t.db = parseFloat(e.target.value);
        t.row.querySelector(".gain-db").textContent = `${t.db > 0 ? "+" : ""}${t.db.toFixed(1)} dB`;
        applyGains();
      });
      t.row.querySelector(".stem-mute").addEventListener("click", () => { t.mute = !t.mute; applyGains(); });
      t.row.querySelector(".stem-solo").addEventListener("click", () => { t.solo = !t.solo; applyGains(); });
    });

    let playing = false, startedAt = 0, offset = 0;
    const playBtn = document.getElementById("mix-play");
    const time = document.getElementById("mix-time");
    function stopSources() { tracks.forEach((t) => { if (t.source) { t.source.onended = null; t.source.stop(); t.source = null; } }); }
    function play() {
      stopSources();
      const when = ac.currentTime + 0.05;
      tracks.forEach((t) => {
        const src = ac.createBufferSource();
        src.buffer = t.buffer;
        src.connect(t.gain);
        src.start(when, Math.min(offset, t.buffer.duration));
        t.source = src;
      });
      startedAt = when - offset;
      playing = true;
      playBtn.textContent = "❚❚ Pause";
    }
    function pause() { offset = Math.min(duration, ac.currentTime - startedAt); stopSources(); playing = false; playBtn.textContent = "▶ Play"; }
    function seek(seconds) { offset = Math.max(0, Math.min(duration, seconds)); if (playing) play(); render(); }
    playBtn.addEventListener("click", async () => { await ac.resume(); playing ? pause() : play(); });
    tracks.forEach((t) => {
      const lane = t.row.querySelector(".stem-lane");
      lane.addEventListener("click", (e) => {
        const box = lane.getBoundingClientRect();
        seek(((e.clientX - box.left) / box.width) * duration);
      });
    });
    const buf = new Float32Array(1024);
    function position() { return playing ? ac.currentTime - startedAt : offset; }
    function render() {
      const pos = Math.max(0, position());
      time.textContent = TV().fmtTime(songStart + pos);
      root.dataset.position = pos.toFixed(2);
      const pct = `${Math.min(100, (pos / duration) * 100)}%`;
      tracks.forEach((t) => { t.row.querySelector(".playhead").style.left = pct; });
    }
    (function tick() {
      if (playing && position() >= duration) { pause(); offset = 0; }
      render();
      tracks.forEach((t) => {
        t.analyser.getFloatTimeDomainData(buf);
        let p = 0; for (const v of buf) p = Math.max(p, Math.abs(v));
        t.row.querySelector("meter").value = p;
      });
      requestAnimationFrame(tick);
    })();
    applyGains();

    // One render path for both: the whole mix with the mixer's settings, or one stem alone at 0 dB.
    async function exportMix(gains, label) {
      const fmt = document.getElementById("export-format").value;
      const res = await S().postJSON(`/api/v1/stems/jobs/${root.dataset.jobId}/mix`, { gains, format: fmt });
      if (res.status !== 202) { status.textContent = S().errorMessages(res.body).join(" "); return; }
      status.textContent = `rendering ${label}…`;
      S().watchJob(res.body.job_id, async (job) => {
        status.textContent = `${label}: ${job.status} ${job.progress} %`;
        if (job.status === "completed") {
          const link = await (await fetch(`/api/v1/jobs/${res.body.job_id}/download`)).json();
          status.textContent = "";
          const a = document.createElement("a");
          a.href = link.url; a.textContent = `Download ${label} (${fmt.toUpperCase()})`;
          status.appendChild(a);
          // The export was asked for with a download button: the file comes by itself (it took a second click),
          // and the link stays for another copy.
          a.click();
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
