// The practice player's pitch processor, run on the audio thread as an AudioWorklet. On the page's main thread
// (the ScriptProcessorNode it replaces, which browsers have deprecated) the sound broke up whenever the page
// was busy drawing, and its 4096-frame blocks put a quarter of a second between a click on Play and the sound.
//
// Input: 3 channels, music left and right and the metronome's clicks. Output: stereo. SoundTouch shifts the
// music's pitch by `factor` (it keeps the tempo); the clicks are delayed by the samples SoundTouch holds back
// (`lag`, measured on the main thread) so they leave together with the beats they were scheduled on.
//
// Messages in: {type: "reset", factor, lag} (a new speed, transposition or position: the sources restart
// 0.1 s later), {type: "capture", on}. Out: {type: "delay", frames} (input-to-output delay once the output has
// started), {type: "captured", samples} (left channel, while capturing), {type: "captureEnd"}.
import { SoundTouch } from "../vendor/soundtouch/soundtouch.js";

const QUANTUM = 128;
// Output frames buffered before the first one is played: SoundTouch returns its output in bursts of a few
// thousand frames, and a queue this long never runs dry between two bursts.
const PRIME = 6144;
const CAPTURE_CHUNK = 8192;

// A queue of float samples that grows when needed and never allocates while it keeps its size: the audio
// thread must not make garbage 344 times a second.
class Queue {
  constructor(capacity) { this.buf = new Float32Array(capacity); this.start = 0; this.length = 0; }
  clear() { this.start = 0; this.length = 0; }
  reserve(n) {
    if (this.start + this.length + n <= this.buf.length) return;
    const need = this.length + n;
    if (need > this.buf.length) {
      const grown = new Float32Array(Math.max(need, 2 * this.buf.length));
      grown.set(this.buf.subarray(this.start, this.start + this.length));
      this.buf = grown;
    } else {
      this.buf.copyWithin(0, this.start, this.start + this.length);
    }
    this.start = 0;
  }
  push(x, n = x.length) { this.reserve(n); this.buf.set(x.subarray(0, n), this.start + this.length); this.length += n; }
  pushZeros(n) { this.reserve(n); this.buf.fill(0, this.start + this.length, this.start + this.length + n); this.length += n; }
  at(i) { return this.buf[this.start + i]; }
  drop(n) { n = Math.min(n, this.length); this.start += n; this.length -= n; if (!this.length) this.start = 0; }
}

class PracticePitch extends AudioWorkletProcessor {
  constructor() {
    super();
    this.music = new Queue(4 * PRIME);  // interleaved stereo
    this.clicks = new Queue(2 * PRIME);
    this.inter = new Float32Array(2 * QUANTUM);
    this.out = new Float32Array(4 * PRIME);
    this.capture = null;
    this.reset(1, 0);
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m.type === "reset") this.reset(m.factor, m.lag);
      else if (m.type === "capture" && m.on) this.capture = { buf: new Float32Array(CAPTURE_CHUNK), n: 0 };
      else if (m.type === "capture") { this.flushCapture(); this.capture = null; this.port.postMessage({ type: "captureEnd" }); }
    };
  }

  reset(factor, lag) {
    this.shifter = Math.abs(factor - 1) < 1e-6 ? null : new SoundTouch();
    if (this.shifter) this.shifter.pitch = factor;
    this.music.clear(); this.clicks.clear();
    this.lag = lag;
    if (lag > 0) this.clicks.pushZeros(lag);
    this.clickLead = Math.max(0, -lag);
    this.primed = false;
    this.taken = 0;  // input frames since the reset
  }

  flushCapture() {
    const c = this.capture;
    if (c && c.n) { this.port.postMessage({ type: "captured", samples: c.buf.slice(0, c.n) }); c.n = 0; }
  }

  process(inputs, outputs) {
    const input = inputs[0], output = outputs[0];
    const outL = output[0], outR = output[1] ?? output[0];
    const n = outL.length;
    // An input whose sources have all stopped arrives with no channels: that is silence.
    const inL = input[0], inR = input[1] ?? inL, inC = input[2];
    const inter = this.inter;
    for (let i = 0; i < n; i++) { inter[2 * i] = inL ? inL[i] : 0; inter[2 * i + 1] = inR ? inR[i] : 0; }
    if (this.shifter) {
      this.shifter.inputBuffer.putSamples(inter, 0, n);
      this.shifter.process();
      const got = this.shifter.outputBuffer.frameCount;
      if (2 * got > this.out.length) this.out = new Float32Array(4 * got);
      this.shifter.outputBuffer.receiveSamples(this.out, got);
      this.music.push(this.out, 2 * got);
    } else {
      this.music.push(inter, 2 * n);
    }
    if (inC) this.clicks.push(inC, n); else this.clicks.pushZeros(n);
    if (this.clickLead > 0) { const d = Math.min(this.clickLead, this.clicks.length); this.clicks.drop(d); this.clickLead -= d; }
    this.taken += n;

    if (!this.primed && this.music.length / 2 >= PRIME) {
      this.primed = true;
      // Input frame i leaves as output frame i + lag, and output starts when `taken` frames have come in.
      this.port.postMessage({ type: "delay", frames: this.taken - n + this.lag });
    }
    const m = this.primed ? Math.min(n, this.music.length / 2, this.clicks.length) : 0;
    for (let i = 0; i < m; i++) {
      const c = this.clicks.at(i);  // the click sample that entered together with this music sample
      outL[i] = this.music.at(2 * i) + c;
      if (outR !== outL) outR[i] = this.music.at(2 * i + 1) + c;
    }
    outL.fill(0, m);
    if (outR !== outL) outR.fill(0, m);
    this.music.drop(2 * m); this.clicks.drop(m);

    const c = this.capture;
    if (c) {
      c.buf.set(outL, c.n); c.n += n;
      if (c.n + n > c.buf.length) this.flushCapture();
    }
    return true;
  }
}

registerProcessor("practice-pitch", PracticePitch);
