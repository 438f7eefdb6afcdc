// The file page's track view: wavesurfer.js decodes the song and draws it with peak and RMS layers
// (trackview.js) at any zoom, a time ruler re-spaced for each zoom level, a minimap, and the spectrogram
// plugin in the same scrolling frame, so one playhead runs through waveform, ruler and spectrogram.
// Regions select and loop a part; the beat click track follows the play head.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("player");
  if (!box || !window.WaveSurfer) return;
  const TV = window.TrackView;
  const phone = window.matchMedia("(max-width: 640px)").matches;
  const duration = parseFloat(box.dataset.duration) || 0;
  // Decoding rate: enough for a spectrogram up to 11 kHz; long songs are decoded at half that to save memory.
  const decodeRate = duration > 420 ? 11025 : 22050;
  const waveHeight = phone ? 96 : 128;
  const specHeight = phone ? 110 : 160;
  const rulerHeight = 22;

  let ws = null;
  const regions = WaveSurfer.Regions.create();
  ws = WaveSurfer.create({
    container: "#waveform",
    height: waveHeight,
    sampleRate: decodeRate,
    waveColor: TV.PEAK,
    progressColor: "rgba(255, 209, 102, 0.9)",
    cursorColor: "#ffd166",
    cursorWidth: 2,
    dragToSeek: false,
    autoCenter: true,
    renderFunction: TV.waveRenderer(() => ws),
    // Songs up to 7 minutes play from decoded audio (Web Audio): a media element's streaming requests show
    // as cancelled in the browser's network log; longer songs stream to save memory.
    backend: duration <= 420 ? "WebAudio" : "MediaElement",
    plugins: [
      regions,
      WaveSurfer.Minimap.create({ container: "#minimap", height: 28, waveColor: "#4b4580", progressColor: "#8f7fe0",
        cursorColor: "#ffd166", overlayColor: "rgba(255, 255, 255, 0.12)" }),
      WaveSurfer.Zoom.create({ scale: 0.25, maxZoom: 2000, exponentialZooming: true, iterations: 12 }),
    ],
  });
  window.sonicPlayer = ws;
  document.dispatchEvent(new CustomEvent("sonic:player", { detail: ws }));
  // The song is fetched and decoded here and handed to wavesurfer with its URL: left to itself, wavesurfer
  // would play from a blob: URL, which the studio's Content-Security-Policy (connect-src 'self') refuses.
  (async () => {
    try {
      const res = await fetch(box.dataset.audioUrl);
      if (!res.ok) throw new Error(`the studio answered ${res.status}`);
      const ac = new AudioContext({ sampleRate: decodeRate });
      let buf;
      try { buf = await ac.decodeAudioData(await res.arrayBuffer()); } finally { ac.close(); }
      const channels = Array.from({ length: Math.min(2, buf.numberOfChannels) }, (_, c) => buf.getChannelData(c));
      await ws.load(box.dataset.audioUrl, channels, buf.duration);
    } catch (e) {
      const loading = document.querySelector("#waveform .loading");
      if (loading) loading.textContent = `The waveform could not be drawn: ${e.message || e}. Reload the page to try again.`;
    }
  })();
  box.dataset.ready = "0";
  const play = document.getElementById("play");
  const time = document.getElementById("time");
  const loop = document.getElementById("loop");
  const info = document.getElementById("region-info");
  const zoom = document.getElementById("zoom");
  const axis = document.getElementById("freq-axis");
  let active = null;
  play.disabled = true;  // until the song is decoded: a click before that would do nothing

  // The ruler is rebuilt for each zoom so labels never run out (wavesurfer's default spacing stops at 10 s).
  let ruler = null, rulerPx = 0;
  function placeRuler() {
    const px = ws.getWrapper().scrollWidth / (ws.getDuration() || 1);
    if (ruler && Math.abs(px - rulerPx) / px < 0.01) return;
    rulerPx = px;
    if (ruler) ruler.destroy();
    const sp = TV.rulerSpacing(px);
    ruler = ws.registerPlugin(WaveSurfer.Timeline.create({
      height: rulerHeight, insertPosition: "afterend", timeInterval: sp.tick, primaryLabelInterval: sp.label,
      secondaryLabelInterval: sp.label, formatTimeCallback: (s) => TV.fmtTime(s, sp.decimals),
      style: { color: "#b9b9d6", fontSize: "11px" },
    }));
    const el = ws.getWrapper().querySelector("[part=timeline]");
    if (el) el.parentElement.classList.add("ruler");
  }

  let spec = null;
  function showSpectrogram(on) {
    if (on && !spec) {
      spec = ws.registerPlugin(WaveSurfer.Spectrogram.create({
        height: specHeight, labels: false, scale: "mel", fftSamples: 1024, frequencyMax: decodeRate / 2,
        useWebWorker: true, colorMap: "roseus", gainDB: 20, rangeDB: 80,
      }));
      // The frequency labels appear with the spectrogram: drawn before it, they lay over the play controls.
      spec.on("ready", () => { box.dataset.spectrogram = "1"; axis.hidden = false; });
    } else if (!on && spec) {
      spec.destroy(); spec = null; box.dataset.spectrogram = "0";
    }
    axis.hidden = !on || box.dataset.spectrogram !== "1";
    if (on) TV.melAxis(axis, decodeRate / 2, specHeight, waveHeight + rulerHeight);
  }

  ws.on("decode", () => {
    const loading = document.querySelector("#waveform .loading");
    if (loading) loading.remove();
  });
  ws.on("ready", () => {
    box.dataset.ready = "1";
    play.disabled = false;
    time.textContent = `0:00.0 / ${TV.fmtTime(ws.getDuration())}`;
    placeRuler();
    showSpectrogram(document.getElementById("show-spec").checked);
  });
  ws.on("redraw", () => { if (ws.getDuration()) placeRuler(); });
  ws.on("error", (e) => {
    const loading = document.querySelector("#waveform .loading");
    if (loading) loading.textContent = `The waveform could not be drawn: ${e && e.message ? e.message : e}`;
  });
  const view = document.getElementById("track-view");
  ws.on("timeupdate", (t) => {
    time.textContent = `${TV.fmtTime(t)} / ${TV.fmtTime(ws.getDuration())}`;
    view.setAttribute("aria-valuenow", t.toFixed(1));
    view.setAttribute("aria-valuetext", `${TV.fmtTime(t)} of ${TV.fmtTime(ws.getDuration())}`);
  });
  ws.on("play", () => { play.textContent = "❚❚ Pause"; play.setAttribute("aria-label", "Pause"); });
  ws.on("pause", () => { play.textContent = "▶ Play"; play.setAttribute("aria-label", "Play"); });
  // Play with "Loop selection" on starts in the selection when the play head is outside it: the musician
  // wants to hear that part, not wait for the song to reach it.
  function playOrPause() {
    if (!ws.isPlaying() && loop.checked && active) {
      const t = ws.getCurrentTime();
      if (t < active.start || t >= active.end) { active.play(); return; }
    }
    ws.playPause();
  }
  play.addEventListener("click", playOrPause);
  document.addEventListener("keydown", (e) => {
    // Space on anything that Space itself works (a link, a "Rename" summary, a button) is left to it.
    const el = document.activeElement;
    const own = el && (["INPUT", "TEXTAREA", "BUTTON", "SELECT", "A", "SUMMARY"].includes(el.tagName) || el.isContentEditable
      || el.getAttribute("role") === "button");
    if (e.code === "Space" && !own) {
      e.preventDefault(); playOrPause();
    }
  });

  // Zoom: the slider is exponential, from the whole song in view to 2000 px per second.
  const fitPx = () => ws.getWrapper().parentElement.clientWidth / (ws.getDuration() || 1);
  const sliderToPx = (v) => fitPx() * Math.pow(2000 / fitPx(), v / 100);
  const pxToSlider = (px) => 100 * Math.log(Math.max(1, px / fitPx())) / Math.log(2000 / fitPx());
  let zooming = false;
  zoom.addEventListener("input", () => {
    if (!ws.getDuration()) return;
    zooming = true; ws.zoom(Number(zoom.value) ? sliderToPx(Number(zoom.value)) : 0); zooming = false;
  });
  ws.on("zoom", (px) => { if (!zooming) zoom.value = String(Math.round(pxToSlider(px))); });
  const nudge = (d) => { zoom.value = String(Math.max(0, Math.min(100, Number(zoom.value) + d))); zoom.dispatchEvent(new Event("input")); };
  document.getElementById("zoom-in").addEventListener("click", () => nudge(10));
  document.getElementById("zoom-out").addEventListener("click", () => nudge(-10));
  document.getElementById("show-spec").addEventListener("change", (e) => showSpectrogram(e.target.checked));

  const REGION_COLOR = "rgba(255, 209, 102, 0.22)";
  regions.enableDragSelection({ color: REGION_COLOR });
  const announce = (r) => {
    info.textContent = r ? `${TV.fmtTime(r.start)} – ${TV.fmtTime(r.end)}` : "";
    box.dispatchEvent(new CustomEvent("region", { detail: r ? { start: r.start, end: r.end } : null }));
  };
  regions.on("region-created", (r) => {
    regions.getRegions().forEach((o) => { if (o !== r) o.remove(); });
    active = r; announce(r);
  });
  regions.on("region-updated", announce);
  regions.on("region-out", (r) => { if (loop.checked && r === active) r.play(); });
  regions.on("region-clicked", (r, e) => { e.stopPropagation(); active = r; r.play(); });
  document.getElementById("clear-region").addEventListener("click", () => {
    regions.clearRegions(); active = null; announce(null);
  });

  // The keyboard's way through the song, and to a selection (a drag is the mouse's and the finger's).
  function markSelection(edge) {
    const t = ws.getCurrentTime(), end = ws.getDuration();
    let start = active ? active.start : 0, stop = active ? active.end : end;
    if (edge === "start") { start = t; if (stop <= start) stop = end; } else { stop = t; if (stop <= start) start = 0; }
    if (stop - start < 0.05) return;
    if (!active) { regions.addRegion({ start, end: stop, color: REGION_COLOR }); return; }  // announced on creation
    active.setOptions({ start, end: stop });
    announce(active);
  }
  view.addEventListener("keydown", (e) => {
    if (!ws.getDuration()) return;
    const step = e.shiftKey ? 1 : 5, t = ws.getCurrentTime(), end = ws.getDuration();
    const to = { ArrowRight: t + step, ArrowUp: t + step, ArrowLeft: t - step, ArrowDown: t - step, Home: 0, End: end }[e.key];
    if (to !== undefined) { e.preventDefault(); ws.setTime(Math.max(0, Math.min(end, to))); return; }
    if (e.key === "[") { e.preventDefault(); markSelection("start"); }
    if (e.key === "]") { e.preventDefault(); markSelection("end"); }
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
});
