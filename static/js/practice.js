// Practice player: loop a region, 50-150 % speed with the pitch kept, transpose, metronome on the analysis'
// beats with a count-in, mute/solo stems, chord lane, keyboard shortcuts.
//
// Audio graph (Web Audio):
//   stem sources (AudioBufferSourceNode, playbackRate = speed, native sample-accurate loop)
//     -> per-stem gain (mute/solo) -> music bus (stereo) -> splitter -> merger inputs 0, 1
//   metronome clicks (AudioBufferSourceNodes scheduled on the beats) -> click bus (mono) -> merger input 2
//   merger -> pitch processor (SoundTouch from soundtouchjs, practice_pitch_core.js, in an AudioWorkletNode or,
//     where the page has no AudioWorklet, a ScriptProcessorNode) -> master -> speakers
//
// The sources play at the chosen speed, which shifts their pitch by the same factor; SoundTouch shifts it back
// (times the transposition). Clicks enter the same processor on their own channel and leave it delayed by
// exactly the samples SoundTouch holds back, so they stay on the beats of what you hear; they are not pitch
// shifted. Any change of speed, transposition, loop or position restarts the sources from where you are.
"use strict";

import { chordLane } from "./chord_lane.js";
import { pitchClass } from "./keys.js";
import { SoundTouch } from "../vendor/soundtouch/soundtouch.js";
import { PitchCore, PRIME } from "./practice_pitch_core.js";

const SPEED_MIN = 50, SPEED_MAX = 150;
const SEEK_STEP = 5;  // seconds moved by the Left/Right arrow keys
// Fields where letters, Space and arrows are typing or choosing, so the player's shortcuts stay out of them.
// Checkboxes, radios, sliders and buttons are not among them: the shortcuts work there (see onKey).
const TYPING = "input:not([type=checkbox]):not([type=radio]):not([type=range]):not([type=button]):not([type=submit]), select, textarea, [contenteditable]";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("practice");
  if (root) start(root).catch((e) => { document.getElementById("practice-status").textContent = `The player could not start: ${e.message}`; });
});

async function start(root) {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("practice-data").textContent);
  const status = $("practice-status");

  const ctx = new AudioContext();
  const sr = ctx.sampleRate;
  status.textContent = "Loading audio…";
  const sources = data.stems.length ? data.stems : [{ name: "mix", url: data.audio_url }];
  const buffers = await Promise.all(sources.map(async (s) => {
    const res = await fetch(s.url);
    if (!res.ok) throw new Error(`${s.name}: ${res.status}`);
    return ctx.decodeAudioData(await res.arrayBuffer());
  }));
  const duration = Math.max(...buffers.map((b) => b.duration));
  const beats = (data.beats || []).filter((b) => b >= 0 && b < duration);
  const beatPeriod = beats.length > 1 ? median(beats.slice(1).map((b, i) => b - beats[i])) : 0.5;

  // --- graph
  const master = ctx.createGain();
  master.connect(ctx.destination);
  const musicBus = new GainNode(ctx, { channelCount: 2, channelCountMode: "explicit", channelInterpretation: "speakers" });
  const clickBus = new GainNode(ctx, { gain: 0.6, channelCount: 1, channelCountMode: "explicit", channelInterpretation: "speakers" });
  const splitter = ctx.createChannelSplitter(2);
  const merger = ctx.createChannelMerger(3);
  musicBus.connect(splitter);
  splitter.connect(merger, 0, 0);
  splitter.connect(merger, 1, 1);
  clickBus.connect(merger, 0, 2);
  const { proc, send, blockDelay } = await pitchProcessor(ctx, root.dataset.pitchWorklet, (m) => onProcessor(m));
  merger.connect(proc);
  proc.connect(master);
  const stemGains = buffers.map(() => { const g = ctx.createGain(); g.connect(musicBus); return g; });

  // --- state
  const st = { speed: 1, rate: 1, semis: 0, loop: false, a: 0, b: Math.min(duration, beats[8] ?? 8), playing: false,
               metronome: false, countIn: false, pos: 0, when: 0, startPos: 0, mutes: buffers.map(() => false),
               solos: buffers.map(() => false) };
  let nodes = [];
  let clicks = [];
  let scheduledTo = 0;

  // --- pitch processor (practice_pitch_core.js): SoundTouch in pitch-only mode, the click
  // channel delayed to match; it reports the delay from input to speakers once its output has started
  let capture = null, delayFrames = PRIME + blockDelay;
  function onProcessor(m) {
    if (m.type === "delay") delayFrames = m.frames + blockDelay;
    else if (m.type === "captured" && capture) capture.parts.push(m.samples);
    else if (m.type === "captureEnd" && capture) capture.done();
  }
  function resetProcessor() {
    const factor = Math.pow(2, st.semis / 12) / st.speed;
    const shifted = Math.abs(factor - 1) >= 1e-6;
    // SoundTouch's output leads or lags its input by a few ms (its overlap and the forward seek of each
    // WSOLA segment); the processor shifts the click channel by the same amount so the clicks meet their beats.
    const lag = shifted ? shifterLag(SoundTouch, factor, sr) : 0;
    send({ type: "reset", factor, lag });
    delayFrames = PRIME + lag + blockDelay;
    root.dataset.shifterLag = String(lag);
  }
  resetProcessor();

  // --- transport
  const clickBuf = (freq) => {
    const len = Math.round(sr * 0.03), buf = ctx.createBuffer(1, len, sr), d = buf.getChannelData(0);
    for (let i = 0; i < len; i++) d[i] = Math.sin(2 * Math.PI * freq * i / sr) * Math.exp(-i / (sr * 0.006));
    return buf;
  };
  const clickHi = clickBuf(2000), clickLo = clickBuf(1500);
  const inLoop = () => st.loop && st.b - st.a > 0.05;

  function positionAt(t) {  // song position heard at context time t (before the processor's delay)
    if (!st.playing) return st.pos;
    const x = st.startPos + Math.max(0, t - st.when) * st.rate;
    if (!inLoop() || st.startPos >= st.b) return Math.min(x, duration);
    const len = st.b - st.a;
    return x < st.b ? x : st.a + ((x - st.a) % len);
  }
  const latency = () => delayFrames / sr + (ctx.outputLatency || ctx.baseLatency || 0);
  const now = () => positionAt(ctx.currentTime - latency());

  // Sources that reached the song's end have stopped for good: the next Play starts from the top (or loop A).
  const replayFrom = () => (inLoop() ? st.a : 0);
  const sourcesLoop = () => inLoop() && st.startPos < st.b;
  function play(fromCountIn) {
    if (st.pos >= duration - 0.05) st.pos = replayFrom();
    stopSources();
    resetProcessor();
    let when = ctx.currentTime + 0.1;
    if (fromCountIn && st.countIn && beatPeriod) {
      const period = beatPeriod / st.speed, n = data.beats_per_bar || 4;
      for (let i = 0; i < n; i++) scheduleClick(when + i * period, i === 0);
      when += n * period;
    }
    // st.rate is the speed the sources now play at; st.speed may already be the slider's next value.
    st.when = when; st.startPos = st.pos; st.rate = st.speed; st.playing = true;
    nodes = buffers.map((buf, i) => {
      const src = ctx.createBufferSource();
      src.buffer = buf;
      src.playbackRate.value = st.speed;
      if (inLoop() && st.pos < st.b) { src.loop = true; src.loopStart = st.a; src.loopEnd = st.b; }
      src.connect(stemGains[i]);
      src.start(when, st.pos);
      return src;
    });
    scheduledTo = when;
    $("play").textContent = "❚❚ Pause";
    root.dataset.playing = "1";
    showStatus("playing");
  }
  function stopSources() {
    nodes.forEach((n) => { try { n.stop(); } catch (_) { /* not started */ } });
    clicks.forEach((n) => { try { n.stop(); } catch (_) { /* ended */ } });
    nodes = []; clicks = [];
  }
  function stopped(pos, state) {
    st.pos = pos; st.playing = false; stopSources();
    $("play").textContent = "▶ Play"; root.dataset.playing = "0";
    showStatus(state);
  }
  function pause() { stopped(now(), "paused"); }
  function finishIfEnded(t) { if (st.playing && !sourcesLoop() && t >= duration - 1e-3) stopped(replayFrom(), "ended"); }
  function restart() { if (st.playing) { st.pos = now(); play(false); } }
  function seek(t) {
    st.pos = Math.max(0, Math.min(duration - 0.01, t));
    // Sent to the very end while playing, the song ends there (play() would take that spot for "start again").
    if (st.playing && !inLoop() && st.pos >= duration - 0.05) stopped(replayFrom(), "ended");
    else if (st.playing) play(false);
    draw();
  }

  function scheduleClick(time, accent) {
    const s = ctx.createBufferSource();
    s.buffer = accent ? clickHi : clickLo;
    s.connect(clickBus);
    s.start(time);
    clicks.push(s);
    s.onended = () => { clicks = clicks.filter((c) => c !== s); };
  }
  // Metronome: every 25 ms, schedule the beats that fall in the next 250 ms of context time.
  setInterval(() => {
    if (!st.playing || !st.metronome || !beats.length) return;
    const until = ctx.currentTime + 0.25;
    const from = Math.max(scheduledTo, st.when);
    if (until <= from) return;
    const bpb = data.beats_per_bar || 4, x0 = (from - st.when) * st.rate, x1 = (until - st.when) * st.rate;
    if (inLoop() && st.startPos < st.b) {
      const len = st.b - st.a, phase = st.startPos - st.a;
      const rel = beats.map((b, i) => [b - st.a, i]).filter(([r]) => r >= 0 && r < len);
      // x: distance played from the start position; a loop beat r sounds at x = r - phase + k * len (k >= 0).
      for (let k = Math.floor((x0 + phase) / len) - 1; k <= Math.floor((x1 + phase) / len); k++) {
        for (const [r, i] of rel) {
          const x = r - phase + k * len;
          if (x >= x0 && x < x1 && (k > 0 || r >= phase)) scheduleClick(st.when + x / st.rate, i % bpb === 0);
        }
      }
    } else {
      beats.forEach((b, i) => { const x = b - st.startPos; if (x >= x0 && x < x1) scheduleClick(st.when + x / st.rate, i % bpb === 0); });
    }
    scheduledTo = until;
  }, 25);

  // --- settings: speed, transposition, loop and clicks survive a reload of the tab (as the remix page's do); a
  // new visit starts from the song as it is
  const savedKey = `sonicai-practice:${data.audio_url}`;
  function saveSettings() {
    try {
      sessionStorage.setItem(savedKey, JSON.stringify({ speed: Math.round(st.speed * 100), semis: st.semis, a: st.a,
        b: st.b, loop: st.loop, metronome: st.metronome, countIn: st.countIn }));
    } catch (e) { /* storage refused (private mode): the settings last until the reload */ }
  }
  function savedSettings() {
    try { return JSON.parse(sessionStorage.getItem(savedKey) || "null"); } catch (e) { return null; }
  }

  // --- controls
  const speed = $("speed"), semis = $("transpose");
  function setSpeed(pct) {
    pct = Math.max(SPEED_MIN, Math.min(SPEED_MAX, Math.round(pct)));
    speed.value = pct; st.speed = pct / 100; $("speed-value").textContent = `${pct} %`;
    $("bpm-value").textContent = data.tempo_bpm ? `${(data.tempo_bpm * st.speed).toFixed(1)} BPM` : "";
    saveSettings();
    debounce(restart);
  }
  function setSemis(v) {
    v = Math.max(-12, Math.min(12, Math.round(v)));
    semis.value = v; st.semis = v; $("transpose-value").textContent = `${v > 0 ? "+" : ""}${v}`;
    saveSettings();
    showKey();
    debounce(restart);
  }
  // The key and the chords are named as they sound after the transposition, spelled for that key.
  const songPc = pitchClass(data.key);
  function showKey() {
    const pc = songPc < 0 ? -1 : (songPc + st.semis + 12) % 12;
    if ($("key-name") && pc >= 0 && data.key_names) $("key-name").textContent = `${data.key_names[pc]} ${data.mode}`;
    if (lane) lane.transpose(st.semis, pc >= 0 && data.spellings ? data.spellings[pc] : null);
  }
  const what = data.stems.length ? `the ${data.stems.length} stems of the latest separation` : "the whole mix";
  const STATUS = { ready: () => `Ready to play ${what}.`, playing: () => `Playing ${what}.`, paused: () => `Paused: ${what}.`,
                   ended: () => `The song has ended: Play starts it again from ${inLoop() ? "loop A" : "the top"}.` };
  function showStatus(state) {
    status.textContent = STATUS[state]() + (data.stems.length ? "" : " Separate the song to mute or solo its parts.");
    root.dataset.state = state;
  }
  let timer = null;
  function debounce(fn) { clearTimeout(timer); timer = setTimeout(fn, 120); }
  speed.addEventListener("input", () => setSpeed(+speed.value));
  semis.addEventListener("input", () => setSemis(+semis.value));
  $("play").addEventListener("click", () => { ctx.resume(); st.playing ? pause() : play(true); });
  $("metronome").addEventListener("change", (e) => { st.metronome = e.target.checked; saveSettings(); });
  $("count-in").addEventListener("change", (e) => { st.countIn = e.target.checked; saveSettings(); });
  $("click-volume").addEventListener("input", (e) => { clickBus.gain.value = +e.target.value; });
  const loopA = $("loop-a"), loopB = $("loop-b"), loopOn = $("loop"), loopMessage = $("loop-message");
  // Why a loop was refused or moved, or "" when it is fine as asked.
  function loopProblem(a, b) {
    if (a >= duration - 0.05) return `Loop A must be before the song's end (${fmt(duration)}).`;
    if (b <= a + 0.05) return "The loop's end must be after its start.";
    return "";
  }
  function showLoop() { loopA.value = st.a.toFixed(2); loopB.value = st.b.toFixed(2); loopOn.checked = st.loop; }
  function setLoop(a, b, on) {
    a = Math.max(0, a);
    const clamped = b > duration, problem = loopProblem(a, Math.min(b, duration));
    loopMessage.textContent = problem || (clamped ? `B is the song's end (${fmt(duration)}).` : "");
    if (problem) { showLoop(); return false; }  // the loop stays as it was, and says so
    const here = now();  // where the song is heard now, before the loop changes how that is counted
    st.a = a; st.b = Math.min(b, duration); st.loop = on;
    saveSettings();
    showLoop();
    root.dataset.loop = on ? "1" : "0";
    if (on && (here < st.a || here >= st.b)) seek(st.a);  // a loop switched on elsewhere takes you into it
    else restart();
    draw();
    return true;
  }
  loopA.addEventListener("change", () => {
    const a = +loopA.value;
    if (st.b > a + 0.05 || a >= duration - 0.05) { setLoop(a, st.b, st.loop); return; }
    // An A typed past B (the first of two fields filled in for a loop further on) takes the loop there with
    // its length, rather than being refused and then silently lost when B is typed.
    const b = Math.min(duration, a + Math.max(st.b - st.a, beatPeriod));
    if (setLoop(a, b, st.loop)) loopMessage.textContent = `B moved to ${b.toFixed(2)} s, after the new A.`;
  });
  loopB.addEventListener("change", () => setLoop(st.a, +loopB.value, st.loop));
  loopOn.addEventListener("change", () => setLoop(st.a, st.b, loopOn.checked));
  $("set-a").addEventListener("click", () => setLoop(snap(now()), Math.max(st.b, snap(now()) + beatPeriod), st.loop));
  $("set-b").addEventListener("click", () => setLoop(st.a, snap(now()), true));
  const snap = (t) => beats.length ? beats.reduce((best, b) => Math.abs(b - t) < Math.abs(best - t) ? b : best, beats[0]) : t;

  document.querySelectorAll(".stem-toggle").forEach((btn) => btn.addEventListener("click", () => {
    const i = +btn.dataset.index, kind = btn.dataset.kind;
    st[kind === "mute" ? "mutes" : "solos"][i] = !st[kind === "mute" ? "mutes" : "solos"][i];
    btn.setAttribute("aria-pressed", String(st[kind === "mute" ? "mutes" : "solos"][i]));
    const anySolo = st.solos.some(Boolean);
    stemGains.forEach((g, j) => { g.gain.value = st.mutes[j] || (anySolo && !st.solos[j]) ? 0 : 1; });
  }));

  // Keys: a focused checkbox or slider keeps the shortcuts (Space plays instead of ticking the box); a focused
  // button keeps Space for itself, a slider keeps the arrows and Home, text fields and selects keep every key.
  const isBox = (el) => el.matches && el.matches("input[type=checkbox], input[type=radio]");
  function onKey(e) {
    const el = e.target, k = e.key;
    if (e.ctrlKey || e.metaKey || e.altKey || (el.closest && el.closest(TYPING))) return;
    const onSlider = el.matches && el.matches("input[type=range]");
    if (k === " " && el.closest && el.closest("button, a[href], summary")) return;
    if (onSlider && (k === "ArrowLeft" || k === "ArrowRight" || k === "Home")) return;
    if (!shortcut(k)) return;
    e.preventDefault();
  }
  function shortcut(k) {
    if (k === " ") $("play").click();
    else if (k === "ArrowLeft") seek(now() - SEEK_STEP);
    else if (k === "ArrowRight") seek(now() + SEEK_STEP);
    else if (k === "Home") seek(replayFrom());
    else if (k === "l" || k === "L") setLoop(st.a, st.b, !st.loop);
    else if (k === "[") setSpeed(st.speed * 100 - 5);
    else if (k === "]") setSpeed(st.speed * 100 + 5);
    else if (k === "-") setSemis(st.semis - 1);
    else if (k === "+" || k === "=") setSemis(st.semis + 1);
    else if (k === "m" || k === "M") { const m = $("metronome"); m.checked = !m.checked; st.metronome = m.checked; }
    else return false;
    return true;
  }
  document.addEventListener("keydown", onKey);
  // A checkbox ticks itself on Space's keyup: that Space was play/pause.
  document.addEventListener("keyup", (e) => { if (e.key === " " && isBox(e.target)) e.preventDefault(); });

  // --- overview (waveform peaks, loop region, beats, playhead) and chord lane
  const canvas = $("overview"), g = canvas.getContext("2d");
  const peaks = peaksOf(buffers, 800);
  const lane = chordLane($("chord-lane"), data.chords, { start: 0, end: duration, onSeek: seek, minCellWidth: 40 });
  canvas.addEventListener("click", (e) => { const r = canvas.getBoundingClientRect(); seek((e.clientX - r.left) / r.width * duration); });
  function draw() {
    const w = canvas.width = canvas.clientWidth * devicePixelRatio, h = canvas.height = canvas.clientHeight * devicePixelRatio;
    g.clearRect(0, 0, w, h);
    if (st.loop) { g.fillStyle = "rgba(124,108,242,0.25)"; g.fillRect(st.a / duration * w, 0, (st.b - st.a) / duration * w, h); }
    g.fillStyle = "#7c6cf2";
    const n = peaks.length;
    for (let i = 0; i < n; i++) { const v = Math.abs(peaks[i]) * h * 0.45; g.fillRect(i / n * w, h / 2 - v, Math.max(1, w / n), 2 * v); }
    const t = now();
    g.fillStyle = "#ffd166"; g.fillRect(t / duration * w - 1, 0, 2 * devicePixelRatio, h);
  }
  function frame() {
    finishIfEnded(now());
    const t = now();
    lane.setTime(t);
    $("time").textContent = `${fmt(t)} / ${fmt(duration)}`;
    draw();
    root.dataset.position = t.toFixed(3);
    requestAnimationFrame(frame);
  }
  window.addEventListener("resize", draw);
  requestAnimationFrame(frame);
  const saved = savedSettings();  // read before the defaults below are saved over it
  setSpeed(saved?.speed ?? 100); setSemis(saved?.semis ?? 0);
  if (saved && Number.isFinite(saved.a) && Number.isFinite(saved.b)) setLoop(saved.a, saved.b, !!saved.loop);
  else showLoop();
  st.metronome = $("metronome").checked = !!saved?.metronome;
  st.countIn = $("count-in").checked = !!saved?.countIn;
  saveSettings();
  showStatus("ready");
  root.dataset.ready = "1";

  // For tests and for recording your practice: what the player sends to the speakers.
  window.practicePlayer = {
    ctx, setSpeed, setSemis, setLoop, seek, play: () => { ctx.resume(); play(true); }, pause,
    state: () => ({ ...st, position: now(), duration, beatPeriod }),
    async capture(seconds) {
      const parts = [];
      const ended = new Promise((done) => { capture = { parts, done }; });
      send({ type: "capture", on: true });
      await new Promise((r) => setTimeout(r, seconds * 1000));
      send({ type: "capture", on: false });
      await ended;
      capture = null;
      const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0; for (const p of parts) { out.set(p, o); o += p.length; }
      return { sampleRate: sr, samples: Array.from(out) };
    },
  };
}

// The pitch processor as a node (merger in, stereo out), `send` for its messages and the delay its blocks add.
// An AudioWorklet where the page has one; a page served over plain http:// to another machine has none (worklets
// need a secure origin), and there the same processor runs in a ScriptProcessorNode on the page's thread.
async function pitchProcessor(ctx, workletUrl, onMessage) {
  if (ctx.audioWorklet) {
    await ctx.audioWorklet.addModule(workletUrl);
    const proc = new AudioWorkletNode(ctx, "practice-pitch", { numberOfInputs: 1, numberOfOutputs: 1,
      outputChannelCount: [2], channelCount: 3, channelCountMode: "explicit", channelInterpretation: "discrete" });
    proc.port.onmessage = (e) => onMessage(e.data);
    return { proc, send: (m) => proc.port.postMessage(m), blockDelay: 0 };
  }
  const BLOCK = 4096;
  const core = new PitchCore(onMessage);
  const proc = ctx.createScriptProcessor(BLOCK, 3, 2);
  proc.onaudioprocess = (e) => {
    const i = e.inputBuffer, o = e.outputBuffer;
    core.process(i.getChannelData(0), i.getChannelData(1), i.getChannelData(2), o.getChannelData(0), o.getChannelData(1));
  };
  return { proc, send: (m) => core.handle(m), blockDelay: 2 * BLOCK };  // a block in, a block out
}

// Lag (output index - input index, in samples) of a SoundTouch pitch shift by ``factor``: bursts pushed through a
// fresh instance, envelopes of input and output compared over +-60 ms.
function shifterLag(SoundTouch, factor, sr) {
  const t = new SoundTouch();
  t.pitch = factor;
  const n = Math.round(sr * 1.6), x = new Float32Array(n);
  let seed = 1;
  for (let b = Math.round(sr * 0.1); b < n - sr * 0.1; b += Math.round(sr * 0.27)) {
    for (let i = 0; i < sr * 0.04; i++) { seed = (seed * 16807) % 2147483647; x[b + i] = (seed / 2147483647 - 0.5) * Math.exp(-i / (sr * 0.008)); }
  }
  const inter = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) { inter[2 * i] = x[i]; inter[2 * i + 1] = x[i]; }
  t.inputBuffer.putSamples(inter, 0, n);
  t.inputBuffer.putSamples(new Float32Array(sr), 0, sr / 2);
  t.process();
  const got = t.outputBuffer.frameCount, out = new Float32Array(2 * got);
  t.outputBuffer.receiveSamples(out, got);
  const y = new Float32Array(got);
  for (let i = 0; i < got; i++) y[i] = out[2 * i];
  const env = (s) => { const e = new Float32Array(Math.ceil(s.length / 8)); for (let i = 0; i < s.length; i++) e[i >> 3] += Math.abs(s[i]); return e; };
  const ex = env(x), ey = env(y), span = Math.round(sr * 0.06 / 8);
  let best = 0, bestScore = -Infinity;
  for (let lag = -span; lag <= span; lag++) {
    let score = 0;
    for (let i = Math.max(0, -lag); i < ex.length && i + lag < ey.length; i++) score += ex[i] * ey[i + lag];
    if (score > bestScore) { bestScore = score; best = lag; }
  }
  return best * 8;
}

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] || 0.5; }
function fmt(t) { const m = Math.floor(t / 60), s = t - 60 * m; return `${m}:${s.toFixed(1).padStart(4, "0")}`; }
function peaksOf(bufs, n) {  // the overview shows the whole mix: every stem summed, not the first one alone
  const chans = bufs.map((b) => b.getChannelData(0)), len = Math.min(...chans.map((d) => d.length));
  const step = Math.max(1, Math.floor(len / n)), out = [];
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = i * step; j < Math.min(len, (i + 1) * step); j++) {
      let v = 0;
      for (const d of chans) v += d[j];
      m = Math.max(m, Math.abs(v));
    }
    out.push(m);
  }
  return out;
}
