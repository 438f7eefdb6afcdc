// Waveform player on the file page: wavesurfer.js with regions (selection + loop),
// timeline, zoom and a server-rendered spectrogram.
"use strict";

function fmtTime(s) {
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

document.addEventListener("DOMContentLoaded", async () => {
  const box = document.getElementById("player");
  if (!box || !window.WaveSurfer) return;
  const peaksRes = await fetch(box.dataset.peaksUrl, { headers: { Accept: "application/json" } });
  const wf = peaksRes.ok ? await peaksRes.json() : null;
  const regions = WaveSurfer.Regions.create();
  const ws = WaveSurfer.create({
    container: "#waveform",
    url: box.dataset.audioUrl,
    peaks: wf ? wf.peaks : undefined,
    duration: wf ? wf.duration : parseFloat(box.dataset.duration),
    height: 128,
    waveColor: "#7c6cf2",
    progressColor: "#c9a7ff",
    cursorColor: "#ffd166",
    normalize: true,
    splitChannels: false,
    plugins: [regions, WaveSurfer.Timeline.create({ container: "#timeline" })],
  });
  window.sonicPlayer = ws;
  box.dataset.ready = "0";
  const play = document.getElementById("play");
  const time = document.getElementById("time");
  const loop = document.getElementById("loop");
  const info = document.getElementById("region-info");
  let active = null;

  ws.on("ready", () => { box.dataset.ready = "1"; time.textContent = `0:00.0 / ${fmtTime(ws.getDuration())}`; });
  ws.on("timeupdate", (t) => { time.textContent = `${fmtTime(t)} / ${fmtTime(ws.getDuration())}`; });
  ws.on("play", () => { play.textContent = "❚❚ Pause"; });
  ws.on("pause", () => { play.textContent = "▶ Play"; });
  play.addEventListener("click", () => ws.playPause());
  document.addEventListener("keydown", (e) => {
    if (e.code === "Space" && !["INPUT", "TEXTAREA", "BUTTON"].includes(document.activeElement.tagName)) {
      e.preventDefault(); ws.playPause();
    }
  });
  document.getElementById("zoom").addEventListener("input", (e) => ws.zoom(Number(e.target.value)));

  regions.enableDragSelection({ color: "rgba(255, 209, 102, 0.25)" });
  regions.on("region-created", (r) => {
    regions.getRegions().forEach((o) => { if (o !== r) o.remove(); });
    active = r;
    info.textContent = `${fmtTime(r.start)} – ${fmtTime(r.end)}`;
    box.dispatchEvent(new CustomEvent("region", { detail: { start: r.start, end: r.end } }));
  });
  regions.on("region-updated", (r) => {
    info.textContent = `${fmtTime(r.start)} – ${fmtTime(r.end)}`;
    box.dispatchEvent(new CustomEvent("region", { detail: { start: r.start, end: r.end } }));
  });
  regions.on("region-out", (r) => { if (loop.checked && r === active) r.play(); });
  regions.on("region-clicked", (r, e) => { e.stopPropagation(); active = r; r.play(); });
  document.getElementById("clear-region").addEventListener("click", () => {
    regions.clearRegions(); active = null; info.textContent = "";
    box.dispatchEvent(new CustomEvent("region", { detail: null }));
  });

  // Beat click track: while the player runs, a click is scheduled on every detected beat ahead of
  // the play head (Web Audio clock), and rescheduled on pause or seek.
  const clickBox = document.getElementById("click-beats");
  const beatData = document.getElementById("beat-times");
  if (clickBox && beatData) {
    const beats = JSON.parse(beatData.textContent);
    let ac = null, clicks = [];
    const stopClicks = () => { clicks.forEach((o) => { try { o.stop(); } catch (e) { /* already ended */ } }); clicks = []; };
    const startClicks = () => {
      stopClicks();
      if (!clickBox.checked || !ws.isPlaying()) return;
      ac = ac || new AudioContext();
      const now = ws.getCurrentTime(), t0 = ac.currentTime + 0.02, rate = ws.getPlaybackRate();
      beats.forEach((b, i) => {
        if (b < now || b > now + 120) return;
        const at = t0 + (b - now) / rate, osc = ac.createOscillator(), g = ac.createGain();
        osc.frequency.value = i % 4 === 0 ? 1760 : 1320;
        g.gain.setValueAtTime(0.4, at); g.gain.exponentialRampToValueAtTime(0.001, at + 0.05);
        osc.connect(g); g.connect(ac.destination); osc.start(at); osc.stop(at + 0.06); clicks.push(osc);
      });
    };
    ws.on("play", startClicks);
    ws.on("pause", stopClicks);
    ws.on("seeking", startClicks);
    clickBox.addEventListener("change", startClicks);
  }

  const specToggle = document.getElementById("show-spec");
  const spec = document.getElementById("spectrogram");
  specToggle.addEventListener("change", async () => {
    spec.hidden = !specToggle.checked;
    const img = spec.querySelector("img");
    if (specToggle.checked && !img.src) {
      const res = await fetch(spec.dataset.url, { headers: { Accept: "application/json" } });
      if (res.ok) img.src = (await res.json()).data_url;
    }
  });
});
