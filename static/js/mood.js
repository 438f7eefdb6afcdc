// Mood dashboard charts (Chart.js), MFCC heatmap and the beat click track.
"use strict";

(function () {
  const COLORS = { happy: "#ffd166", sad: "#5b8def", energetic: "#ff6b6b", calm: "#4ade80", angry: "#d7263d",
    melancholic: "#9b8cff", romantic: "#ff8fab" };
  const grid = { color: "rgba(255,255,255,0.08)" };
  const ticks = { color: "#9a9bb8" };
  const json = (id) => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; };

  function vaChart(canvas, points) {
    return new Chart(canvas, {
      type: "scatter",
      data: { datasets: points.map((p) => ({ label: p.label, data: [{ x: p.valence, y: p.arousal }],
        backgroundColor: COLORS[p.mood] || "#c9a7ff", pointRadius: p.r || 6 })) },
      options: { maintainAspectRatio: false, plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => c.dataset.label } } },
        scales: { x: { min: 0, max: 1, title: { display: true, text: "valence (negative → positive)", color: "#9a9bb8" }, grid, ticks },
                  y: { min: 0, max: 1, title: { display: true, text: "arousal (calm → intense)", color: "#9a9bb8" }, grid, ticks } } },
    });
  }

  function heatmap(canvas, frames) {
    if (!frames || !frames.length) return;
    const rows = frames.length, cols = frames[0].length;
    canvas.width = cols * 8; canvas.height = rows * 12;
    const ctx = canvas.getContext("2d");
    const flat = frames.flat();
    const lo = Math.min(...flat), hi = Math.max(...flat);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const v = (frames[r][c] - lo) / (hi - lo || 1);
      ctx.fillStyle = `hsl(${260 - v * 220}, 80%, ${20 + v * 45}%)`;
      ctx.fillRect(c * 8, (rows - 1 - r) * 12, 8, 12);
    }
  }

  function fileDashboard(chart) {
    new Chart(document.getElementById("radar"), {
      type: "radar",
      data: { labels: chart.moods, datasets: [{ label: "score", data: chart.scores, backgroundColor: "rgba(124,108,242,0.35)", borderColor: "#c9a7ff" }] },
      options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { r: { min: 0, max: 1, angleLines: grid, grid, pointLabels: { color: "#e9e9f4" }, ticks: { display: false } } } },
    });
    const primary = chart.moods[chart.scores.indexOf(Math.max(...chart.scores))];
    vaChart(document.getElementById("va"), [{ label: "this song", valence: chart.valence, arousal: chart.arousal, mood: primary, r: 9 }]);
    heatmap(document.getElementById("mfcc"), chart.mfcc);
    const names = Object.keys(chart.features);
    new Chart(document.getElementById("features"), {
      type: "bar",
      data: { labels: names.map((n) => n.replace(/_mean$/, "").replaceAll("_", " ")), datasets: [{ data: names.map((n) => chart.features[n]), backgroundColor: "#7c6cf2" }] },
      options: { maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { type: "logarithmic", grid, ticks }, y: { grid, ticks } } },
    });
    if (chart.chroma) new Chart(document.getElementById("chroma"), {
      type: "bar",
      data: { labels: chart.pitch_names || ["C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B"], datasets: [{ data: chart.chroma, backgroundColor: "#c9a7ff" }] },
      options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: { grid, ticks }, y: { grid, ticks } } },
    });
  }

  function libraryDashboard(points, counts) {
    vaChart(document.getElementById("library-va"), points.map((p) => ({ label: `${p.name} (${p.mood})`, ...p })));
    const moods = Object.keys(counts);
    new Chart(document.getElementById("library-counts"), {
      type: "doughnut",
      data: { labels: moods, datasets: [{ data: moods.map((m) => counts[m]), backgroundColor: moods.map((m) => COLORS[m]) }] },
      options: { maintainAspectRatio: false, plugins: { legend: { labels: { color: "#e9e9f4" } } } },
    });
  }

  // Plays the song with a short click at every detected beat (Web Audio scheduling).
  function clickTrack(button, beats) {
    let ac = null, nodes = [];
    button.addEventListener("click", async () => {
      if (ac) { nodes.forEach((n) => n.stop()); ac.close(); ac = null; button.textContent = "▶ Play with click track"; return; }
      ac = new AudioContext();
      button.textContent = "loading…";
      const buffer = await ac.decodeAudioData(await (await fetch(button.dataset.audioUrl)).arrayBuffer());
      const t0 = ac.currentTime + 0.1;
      const song = ac.createBufferSource(); song.buffer = buffer; song.connect(ac.destination); song.start(t0);
      nodes = [song];
      beats.forEach((b, i) => {
        const osc = ac.createOscillator(); const g = ac.createGain();
        osc.frequency.value = i % 4 === 0 ? 1760 : 1320;
        g.gain.setValueAtTime(0.5, t0 + b); g.gain.exponentialRampToValueAtTime(0.001, t0 + b + 0.05);
        osc.connect(g); g.connect(ac.destination); osc.start(t0 + b); osc.stop(t0 + b + 0.06); nodes.push(osc);
      });
      button.textContent = "■ Stop";
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const chart = json("mood-chart");
    if (chart && window.Chart) fileDashboard(chart);
    const points = json("library-points");
    if (points && points.length && window.Chart) libraryDashboard(points, json("library-counts-data"));
    const beats = json("beats");
    const btn = document.getElementById("click-track");
    if (btn && beats) clickTrack(btn, beats);
    // A mood job already running when the page opened (shown from the server): its result appears when done.
    document.body.addEventListener("job-completed", (e) => {
      if (e.detail.job_type === "mood_classify") window.location.reload();
    });
    const classify = document.getElementById("classify");
    if (classify) classify.addEventListener("click", async () => {
      classify.disabled = true;
      const res = await fetch("/api/v1/mood/classify", { method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.SonicAI.csrfToken() },
        body: JSON.stringify({ audio_file_id: classify.dataset.audioId }) });
      const out = await res.json();
      if (res.status !== 202) { document.querySelector(".form-error").textContent = out.detail || "failed"; classify.disabled = false; return; }
      window.SonicAI.watchJob(out.job_id, (job) => {
        classify.textContent = `${job.stage || job.status} ${job.progress} %`;
        if (job.status === "completed") window.location.reload();
        if (job.status === "failed") { document.querySelector(".form-error").textContent = job.error_message; classify.disabled = false; }
      });
    });
  });
})();
