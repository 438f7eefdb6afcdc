// Remix studio: genre (with the tempo it will play at), tempo with tap tempo, pitch (with the key it lands in),
// the effect rack, previews, and an A/B comparison aligned by musical position and matched in loudness.
import { keyName, pitchClass } from "./keys.js";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("remix-studio");
  if (!root) return;
  const S = window.SonicAI, TV = window.TrackView;
  const $ = (id) => document.getElementById(id);
  const json = (id) => JSON.parse($(id).textContent);
  const audioId = root.dataset.audioId;
  const sourceBpm = parseFloat(root.dataset.sourceBpm) || null;
  const duration = parseFloat(root.dataset.duration) || 0;
  const previewSeconds = parseFloat(root.dataset.previewSeconds) || 12;
  const genres = json("genre-data");
  const err = root.querySelector(".form-error");
  const fields = { start: $("start"), end: $("end"), target_bpm: $("bpm"), tempo_change: $("bpm"), semitones: $("pitch"),
    effects: $("rack"), genre: $("genres") };
  let genre = "";
  let bpmTouched = false;

  // ---- keys, for "D major → E major" under the pitch slider
  const songPc = pitchClass(root.dataset.key), songMode = root.dataset.mode;

  // ---- genre
  function genreTempo() {
    const g = genres[genre];
    if (!g || !g.bpm) return null;
    if (!bpmTouched) return { bpm: g.bpm, factor: g.length_factor };
    // A chosen tempo: the remix is felt in half, normal or double time, whichever stretches least (as the server).
    const target = Number(bpm.value);
    const mult = [0.5, 1, 2].reduce((best, m) => Math.abs(Math.log(target / (sourceBpm * m))) < Math.abs(Math.log(target / (sourceBpm * best))) ? m : best, 1);
    return { bpm: target, factor: (sourceBpm * mult) / target };
  }
  // What the musician hears: a genre in half time at 70 BPM plays a 120-BPM song's beats faster, not 42 %
  // slower, so the change is told from the length factor (what the render does), with the feel named.
  function feltChange(t) {
    const perBeat = t.factor * t.bpm / sourceBpm, speed = 1 / t.factor;
    const feel = Math.abs(perBeat - 0.5) < 0.01 ? " in half time" : Math.abs(perBeat - 2) < 0.01 ? " in double time" : "";
    const r = region(), from = Math.max(0, r.start || 0), to = Math.min(duration, r.end ?? duration);
    const length = Math.max(0, to - from);
    if (Math.abs(speed - 1) < 0.0005) return `${feel} (the song's own tempo: ${TV.fmtTime(length, 0)} stays ${TV.fmtTime(length, 0)})`;
    return `${feel} (the song plays ${speed > 1 ? "faster" : "slower"} by ${pct(speed)}: ${TV.fmtTime(length, 0)} becomes ${TV.fmtTime(length * t.factor, 0)})`;
  }
  function showGenre() {
    const g = genres[genre];
    const note = $("genre-note");
    $("preview-genre").disabled = !genre;
    if (!genre) { note.textContent = "No genre: the song keeps its own arrangement."; return; }
    const t = genreTempo();
    if (!t) { note.textContent = `${g.label}: the tempo is chosen when the song's analysis is ready.`; return; }
    if (!bpmTouched) bpm.value = t.bpm;
    showBpm();
    const change = sourceBpm ? feltChange(t) : "";
    const outside = t.bpm < g.range[0] || t.bpm > g.range[1]
      ? ` That is outside ${g.label}'s usual ${g.range[0]}–${g.range[1]} BPM: its drums and bass lines were written for that range.`
      : "";
    note.textContent = bpmTouched
      ? `${g.label} at your tempo of ${t.bpm.toFixed(0)} BPM${change}.${outside}`
      : `${g.label} plays at ${t.bpm.toFixed(0)} BPM${change} unless you set a tempo below; range ${g.range[0]}–${g.range[1]} BPM.`;
  }
  root.querySelectorAll(".chip").forEach((chip) => chip.addEventListener("click", () => {
    root.querySelectorAll(".chip").forEach((c) => { c.classList.remove("on"); c.setAttribute("aria-pressed", "false"); });
    chip.classList.add("on"); chip.setAttribute("aria-pressed", "true");
    genre = chip.dataset.genre;
    if (!genre && !bpmTouched && sourceBpm) bpm.value = sourceBpm;
    showGenre();
  }));

  // ---- tempo
  const bpm = $("bpm");
  const pct = (ratio) => `${ratio >= 1 ? "+" : "−"}${Math.abs((ratio - 1) * 100).toFixed(1)} %`;
  function showBpm() {
    $("bpm-value").textContent = `${Number(bpm.value).toFixed(1)} BPM`;
    if (document.activeElement !== $("bpm-typed")) $("bpm-typed").value = Number(bpm.value).toFixed(1);
    const note = $("tempo-note");
    if (!sourceBpm) { note.textContent = "The song's tempo is not known yet."; return; }
    let ratio = Number(bpm.value) / sourceBpm;
    if (!bpmTouched && !genre) { note.textContent = `The song's own tempo (${sourceBpm.toFixed(1)} BPM) is kept.`; return; }
    if (genre && !bpmTouched) { note.textContent = "The genre's tempo (see above); move the slider to choose another."; return; }
    // The length of what is rendered: the region if one is set, at the genre's half/normal/double time if any.
    const r = region(), from = Math.max(0, r.start || 0), to = Math.min(duration, r.end ?? duration);
    const length = Math.max(0, to - from), t = genre ? genreTempo() : null;
    const what = r.start !== undefined || r.end !== undefined ? "the region" : "the song";
    // In a genre the song is felt in half, normal or double time: the speed change is the render's, as the
    // genre's note says (a 120-BPM song at 30 BPM is half time slowed by 50 %, not 75 %).
    if (t) ratio = 1 / t.factor;
    note.textContent = `${pct(ratio)}: ${what} becomes ${TV.fmtTime(t ? length * t.factor : length / ratio, 0)} long instead of ${TV.fmtTime(length, 0)}.`;
  }
  ["start", "end"].forEach((id) => $(id).addEventListener("input", () => { showBpm(); if (genre) showGenre(); }));
  bpm.addEventListener("input", () => { bpmTouched = true; showBpm(); showGenre(); });
  // The slider spans 30-300 BPM in 0.1 steps: on a phone that is 1.3 BPM a pixel and 2,700 key presses, so the
  // tempo can be typed too. A typed value takes effect once it is a tempo the slider can hold.
  $("bpm-typed").addEventListener("input", (e) => {
    const v = Number(e.target.value);
    if (e.target.value === "" || !(v >= Number(bpm.min) && v <= Number(bpm.max))) return;
    bpm.value = String(v); bpm.dispatchEvent(new Event("input"));
  });
  $("bpm-typed").addEventListener("change", (e) => { e.target.value = Number(bpm.value).toFixed(1); });
  $("bpm-reset").addEventListener("click", () => { bpmTouched = false; if (sourceBpm) bpm.value = sourceBpm; showBpm(); showGenre(); });
  let taps = [];
  $("tap").addEventListener("click", () => {
    const now = performance.now();
    taps = taps.filter((t) => now - t < 3000).concat(now);
    if (taps.length >= 3) {
      const gaps = taps.slice(1).map((t, i) => t - taps[i]);
      bpm.value = (60000 / (gaps.reduce((a, b) => a + b) / gaps.length)).toFixed(1);
      bpmTouched = true; showBpm(); showGenre();
    }
  });

  // ---- pitch
  function showPitch() {
    const p = Number($("pitch").value);
    $("pitch-value").textContent = `${p > 0 ? "+" : p < 0 ? "−" : ""}${Math.abs(p)} st`;
    const note = $("pitch-note");
    if (!p) note.textContent = "The song stays in its key.";
    else if (songPc >= 0 && Number.isInteger(p)) note.textContent = `${keyName(songPc, songMode)} → ${keyName(((songPc + p) % 12 + 12) % 12, songMode)}`;
    else note.textContent = "A half-semitone shift lands between keys.";
  }
  $("pitch").addEventListener("input", showPitch);
  showPitch(); showBpm(); showGenre();

  // ---- effects
  const rack = window.EffectsRack($("rack"), json("effect-specs"));
  const presets = json("effect-presets");
  // A preset replaces the chain only when asked (browsing the list with the arrow keys used to load each one
  // it passed), and asks first when that would throw away effects the musician set up.
  $("preset-load").addEventListener("click", () => {
    const name = $("preset").value;
    if (!name) { $("preset").focus(); return; }
    const n = rack.length;
    if (n && !window.confirm(`Replace the ${n} effect${n === 1 ? "" : "s"} in the chain with the "${name}" preset?`)) return;
    rack.load(presets[name]);
  });
  $("fx-add").addEventListener("click", () => rack.add($("fx-type").value));

  // The chosen engine's description sits under the menu: inside it, a phone cut it short.
  const engineMenu = $("genre-engine");
  const describeEngine = () => { $("engine-description").textContent = engineMenu.selectedOptions[0]?.dataset.description || ""; };
  engineMenu.addEventListener("change", describeEngine);

  // ---- the settings survive the reload that opens the comparison: the next render starts from them
  const savedKey = `sonicai-remix:${audioId}`;
  function saveSettings() {
    try {
      sessionStorage.setItem(savedKey, JSON.stringify({ genre, engine: $("genre-engine").value,
        bpm: bpmTouched ? bpm.value : null, pitch: $("pitch").value, formants: $("formants").checked,
        effects: rack.chain(), start: $("start").value, end: $("end").value }));
    } catch (e) { /* storage refused (private mode): the page starts fresh, as before */ }
  }
  function restoreSettings() {
    if (!new URLSearchParams(location.search).has("compare")) return;  // a fresh visit starts from the song
    let s = null;
    try { s = JSON.parse(sessionStorage.getItem(savedKey) || "null"); } catch (e) { s = null; }
    if (!s) return;
    const chip = Array.from(root.querySelectorAll(".chip")).find((c) => c.dataset.genre === (s.genre || ""));
    if (chip) chip.click();
    const engine = Array.from($("genre-engine").options).find((o) => o.value === s.engine && !o.disabled);
    if (engine) { $("genre-engine").value = s.engine; describeEngine(); }
    if (s.bpm !== null && s.bpm !== undefined) { bpm.value = s.bpm; bpmTouched = true; }
    $("pitch").value = s.pitch || 0;
    $("formants").checked = !!s.formants;
    if (Array.isArray(s.effects)) rack.load(s.effects);
    $("start").value = s.start || ""; $("end").value = s.end || "";
    showPitch(); showBpm(); showGenre();
  }
  restoreSettings();

  // ---- requests
  function region() {
    const out = {}, start = $("start").value, end = $("end").value;
    if (start !== "") out.start = Number(start);
    if (end !== "") out.end = Number(end);
    return out;
  }
  // Checked here as the server checks it (at least 1 s, a region without an end ends with the song), so a region
  // too short to render is said before anything is queued, in the server's words.
  const MIN_REGION = 1;
  function regionProblem() {
    const r = region(), begin = r.start || 0, stop = r.end ?? (duration || null);
    if (r.start === undefined && r.end === undefined) return null;  // the whole song, however short
    if (stop === null || stop - begin >= MIN_REGION) return null;
    if (r.end === undefined || (duration && begin + MIN_REGION > duration + 0.05)) {
      return { start: [`The region must be at least ${MIN_REGION} s long and the song lasts ${duration.toFixed(1)} s: ` +
        `start it at ${Math.max(0, duration - MIN_REGION).toFixed(1)} s or earlier.`] };
    }
    return { end: [`The region must be at least ${MIN_REGION} s long: set its end to ${+(begin + MIN_REGION).toFixed(3)} s ` +
      `or later (it is ${r.end} s, the start is ${begin} s).`] };
  }
  function request() {
    const body = { audio_file_id: audioId, ...region() };
    const pitch = Number($("pitch").value);
    if (pitch) body.semitones = pitch;
    if (pitch || bpmTouched) body.preserve_formants = $("formants").checked;
    if (rack.length) body.effects = rack.chain();
    if (genre) return ["/api/v1/remix/genre", { ...body, genre, genre_engine: $("genre-engine").value, target_bpm: bpmTouched ? Number(bpm.value) : null }];
    if (bpmTouched) return ["/api/v1/remix/tempo", { ...body, target_bpm: Number(bpm.value) }];
    if (pitch) return ["/api/v1/remix/pitch", body];
    if (rack.length) return ["/api/v1/remix/effects", body];
    return [null, null];
  }
  // Remixes still rendering when the page was (re)loaded: when one is done, show it as a just-rendered one is.
  document.body.addEventListener("job-completed", (e) => {
    const job = e.detail, row = $("jobs").querySelector(`[data-job-id="${job.id}"]`);
    if (row && row.dataset.fromServer && job.result && job.result.result_file_id) {
      window.location.href = `${location.pathname}?compare=${job.result.result_file_id}#compare`;
    }
  });
  $("jobs").querySelectorAll(".job").forEach((row) => { row.dataset.fromServer = "1"; });
  S.bindJobs($("jobs"));
  function track(jobId, label, summary, done) {
    const row = S.jobRow(jobId, label, summary);
    $("jobs").prepend(row);
    S.bindJobs($("jobs"));
    S.watchJob(jobId, (job) => { if (job.status === "completed") done(job); });
  }

  $("render").addEventListener("click", async () => {
    const [url, body] = request();
    if (!url) { S.showErrors(err, { detail: "Choose a genre, a tempo, a pitch shift or an effect first." }); return; }
    const problem = regionProblem();
    if (problem) { S.showErrors(err, problem, fields); return; }
    const res = await S.postJSON(url, body);
    if (res.status !== 202) { S.showErrors(err, res.body, fields); return; }
    S.showErrors(err, null);
    saveSettings();
    track(res.body.job_id, genre ? "Genre remix" : "Remix", res.body.summary, (job) => {
      // The page reloads with the comparison open: the server knows the alignment and both loudnesses.
      window.location.href = `${location.pathname}?compare=${job.result.result_file_id}#compare`;
    });
  });

  $("preview-genre").addEventListener("click", async () => {
    if (!genre) return;
    const t = genreTempo();
    // The song's part that becomes `previewSeconds` of remix once it is at the genre's tempo.
    const length = Math.min(duration, previewSeconds / (t ? t.factor : 1));
    const r = region();
    const start = Math.max(0, Math.min(r.start !== undefined ? r.start : duration * 0.3, duration - length));
    const body = { audio_file_id: audioId, genre, genre_engine: $("genre-engine").value, start: Math.round(start * 100) / 100,
      end: Math.round(Math.min(duration, start + length) * 100) / 100, target_bpm: bpmTouched ? Number(bpm.value) : null };
    const pitch = Number($("pitch").value);
    if (pitch) body.semitones = pitch;
    const res = await S.postJSON("/api/v1/remix/genre", body);
    if (res.status !== 202) { S.showErrors(err, res.body, fields); return; }
    S.showErrors(err, null);
    track(res.body.job_id, `${genres[genre].label} preview`, res.body.summary, (job) => {
      const a = $("genre-preview");
      a.src = `/files/${job.result.result_file_id}/stream`; a.hidden = false; a.dataset.resultId = job.result.result_file_id;
      a.play().catch(() => { /* autoplay may be refused; the controls are there */ });
    });
  });

  // ---- A/B comparison: both decoded with Web Audio; B is drawn and played in A's musical time.
  const alignments = json("alignments");
  const ab = { ctx: null, a: null, b: null, align: null, which: "A", playing: false, startedAt: 0, posA: 0, source: null };
  function mapAtoB(tA) {
    const al = ab.align, u = tA - al.start;
    if (al.map && al.map.src && al.map.src.length >= 2) {
      const src = al.map.src, dst = al.map.dst, n = src.length;
      if (u <= src[0]) return dst[0] + (u - src[0]) * (dst[1] - dst[0]) / (src[1] - src[0]);
      if (u >= src[n - 1]) return dst[n - 1] + (u - src[n - 1]) * (dst[n - 1] - dst[n - 2]) / (src[n - 1] - src[n - 2]);
      let i = 1; while (src[i] < u) i++;
      return dst[i - 1] + (u - src[i - 1]) * (dst[i] - dst[i - 1]) / (src[i] - src[i - 1]);
    }
    return u / (al.speed || 1);
  }
  const spanA = () => [ab.align.start, ab.align.end != null ? ab.align.end : ab.a.duration];
  function drawAB() {
    const [t0, t1] = spanA();
    const lanes = [["lane-a", ab.a, (t) => t], ["lane-b", ab.b, mapAtoB]];
    const chans = (buf) => Array.from({ length: Math.min(2, buf.numberOfChannels) }, (_, c) => buf.getChannelData(c));
    const common = Math.max(TV.globalPeak(chans(ab.a)) * ab.gains[0], TV.globalPeak(chans(ab.b)) * ab.gains[1]);
    lanes.forEach(([id, buf, map]) => {
      const canvas = $(id).querySelector("canvas");
      const w = Math.max(1, Math.round($(id).clientWidth * devicePixelRatio)), h = Math.max(1, Math.round($(id).clientHeight * devicePixelRatio));
      canvas.width = w; canvas.height = h; canvas.style.width = "100%";
      // The lane in A's time frame: each pixel column covers the samples of B that play at that musical moment.
      const src = chans(buf), sr = buf.sampleRate;
      const range = (x) => [Math.floor(map(t0 + (x / w) * (t1 - t0)) * sr), Math.floor(map(t0 + ((x + 1) / w) * (t1 - t0)) * sr)];
      // One scale for both lanes, after the loudness match: what you see is what you hear.
      TV.drawLayers(canvas.getContext("2d"), src, common / ab.gains[id === "lane-a" ? 0 : 1], null, range);
    });
  }
  function gainsFor(al) {
    const la = parseFloat(root.dataset.sourceLufs), lb = al.lufs;
    if (!Number.isFinite(la) || lb == null) return [1, 1];
    const target = Math.min(la, lb);  // turn the louder one down to the quieter: nothing clips
    return [Math.pow(10, (target - la) / 20), Math.pow(10, (target - lb) / 20)];
  }
  function startAt(tA) {
    stop();
    const buf = ab.which === "A" ? ab.a : ab.b;
    const offset = ab.which === "A" ? tA : mapAtoB(tA);
    const src = ab.ctx.createBufferSource();
    src.buffer = buf;
    const gain = ab.ctx.createGain();
    gain.gain.value = ab.gains[ab.which === "A" ? 0 : 1];
    src.connect(gain); gain.connect(ab.ctx.destination);
    // B plays at its own (changed) tempo; the playhead follows it back in A's time through the map.
    src.start(0, Math.max(0, offset));
    ab.source = src; ab.playing = true; ab.startedAt = ab.ctx.currentTime; ab.posA = tA; ab.offsetB = offset;
    $("ab-play").textContent = "❚❚ Pause";
  }
  function currentA() {
    if (!ab.playing) return ab.posA;
    const el = ab.ctx.currentTime - ab.startedAt;
    if (ab.which === "A") return ab.posA + el;
    // invert the map numerically: A time whose B time is offsetB + elapsed
    const target = ab.offsetB + el;
    let lo = spanA()[0] - 5, hi = spanA()[1] + 5;
    for (let i = 0; i < 40; i++) { const mid = (lo + hi) / 2; if (mapAtoB(mid) < target) lo = mid; else hi = mid; }
    return (lo + hi) / 2;
  }
  function stop() { if (ab.source) { ab.source.onended = null; try { ab.source.stop(); } catch (e) { /* ended */ } ab.source = null; } }
  function tickAB() {
    if (!ab.a) return;
    const [t0, t1] = spanA();
    let t = currentA();
    if (ab.playing && t >= t1) { stop(); ab.playing = false; ab.posA = t0; t = t0; $("ab-play").textContent = "▶ Play"; }
    const pct = `${Math.max(0, Math.min(100, ((t - t0) / (t1 - t0)) * 100))}%`;
    document.querySelectorAll("#compare .playhead").forEach((p) => { p.style.left = pct; });
    $("ab-time").textContent = TV.fmtTime(t);
    $("compare").dataset.position = t.toFixed(2);
    requestAnimationFrame(tickAB);
  }
  async function showCompare(resultId) {
    const al = alignments[resultId];
    if (!al) return;
    $("compare").hidden = false;
    $("compare").dataset.ready = "0";
    $("result-link").href = `/files/${resultId}/`;
    $("compare-name").textContent = al.name;
    ab.align = al; ab.gains = gainsFor(al); ab.which = "A"; ab.posA = al.start; ab.playing = false; stop();
    const gainDb = (g) => (20 * Math.log10(g)).toFixed(1);
    $("compare-note").textContent = al.lufs == null
      ? "Loudness matching starts when the remix's analysis ends (a few seconds); both play from the same bar."
      : `Both play from the same bar. Levels matched by loudness: before ${gainDb(ab.gains[0])} dB, after ${gainDb(ab.gains[1])} dB.`;
    ab.ctx = ab.ctx || new (window.AudioContext || window.webkitAudioContext)();
    const decode = async (url) => ab.ctx.decodeAudioData(await (await fetch(url)).arrayBuffer());
    [ab.a, ab.b] = await Promise.all([decode(`/files/${audioId}/stream`), decode(`/files/${resultId}/stream`)]);
    drawAB();
    $("ab-play").disabled = false; $("ab-switch").disabled = false;
    $("ab-which").textContent = "A (before)";
    $("lane-a").classList.add("listening"); $("lane-b").classList.remove("listening");
    $("compare").dataset.ready = "1";
    requestAnimationFrame(tickAB);
    if (al.analysis_job) S.watchJob(al.analysis_job, (job) => { if (job.status === "completed") window.location.reload(); });
  }
  $("ab-play").addEventListener("click", async () => {
    await ab.ctx.resume();
    if (ab.playing) { ab.posA = currentA(); stop(); ab.playing = false; $("ab-play").textContent = "▶ Play"; return; }
    startAt(ab.posA);
  });
  $("ab-switch").addEventListener("click", () => {
    const t = currentA();
    const wasPlaying = ab.playing;
    stop(); ab.playing = false; ab.posA = t;
    ab.which = ab.which === "A" ? "B" : "A";
    $("ab-which").textContent = ab.which === "A" ? "A (before)" : "B (after)";
    $("lane-a").classList.toggle("listening", ab.which === "A"); $("lane-b").classList.toggle("listening", ab.which === "B");
    if (wasPlaying) startAt(t);
  });
  ["lane-a", "lane-b"].forEach((id) => $(id).addEventListener("click", (e) => {
    if (!ab.a) return;
    const box = $(id).getBoundingClientRect(), [t0, t1] = spanA();
    const t = t0 + ((e.clientX - box.left) / box.width) * (t1 - t0);
    if (ab.playing) startAt(t); else ab.posA = t;
  }));
  window.sonicCompare = { mapAtoB: (t) => mapAtoB(t), state: ab };
  document.querySelectorAll(".compare-btn").forEach((b) => b.addEventListener("click", () => showCompare(b.dataset.resultId)));
  const wanted = new URLSearchParams(location.search).get("compare");
  if (wanted) showCompare(wanted);
});
