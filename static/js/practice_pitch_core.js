// The practice player's pitch processor: SoundTouch shifts the music's pitch by `factor` (it keeps the tempo) and
// the metronome's click channel is delayed by the samples SoundTouch holds back (`lag`, measured on the page)
// so the clicks leave together with the beats they were scheduled on. Input: music left and right and the
// clicks; output: stereo. It runs in the AudioWorklet of practice_pitch_worklet.js, on the browser's audio
// thread; where a page has no AudioWorklet (served over plain http:// to another machine: worklets need a
// secure origin) practice.js runs it in a ScriptProcessorNode instead.
//
// Messages in (`handle`): {type: "reset", factor, lag} (a new speed, transposition or position: the sources
// restart 0.1 s later), {type: "capture", on}. Out (`post`): {type: "delay", frames} (input-to-output delay once
// the output has started), {type: "captured", samples} (left channel, while capturing), {type: "captureEnd"}.
import { SoundTouch } from "../vendor/soundtouch/soundtouch.js";

// Output frames buffered before the first one is played: SoundTouch returns its output in bursts of a few
// thousand frames, and a queue this long never runs dry between two bursts.
export const PRIME = 6144;
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

export class PitchCore {
  constructor(post) {
    this.post = post;
    this.music = new Queue(4 * PRIME);  // interleaved stereo
    this.clicks = new Queue(2 * PRIME);
    this.inter = new Float32Array(2 * 128);
    this.out = new Float32Array(4 * PRIME);
    this.capture = null;
    this.reset(1, 0);
  }

  handle(m) {
    if (m.type === "reset") this.reset(m.factor, m.lag);
    else if (m.type === "capture" && m.on) this.capture = { buf: new Float32Array(CAPTURE_CHUNK), n: 0 };
    else if (m.type === "capture") { this.flushCapture(); this.capture = null; this.post({ type: "captureEnd" }); }
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
    if (c && c.n) { this.post({ type: "captured", samples: c.buf.slice(0, c.n) }); c.n = 0; }
  }

  // One block: inL/inR/inC are undefined for an input with no channels (every source stopped: silence);
  // outR may be outL for a mono output.
  process(inL, inR, inC, outL, outR) {
    const n = outL.length;
    if (this.inter.length < 2 * n) this.inter = new Float32Array(2 * n);
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
      this.post({ type: "delay", frames: this.taken - n + this.lag });
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
      if (c.n + n > c.buf.length) this.flushCapture();
      if (n > c.buf.length) c.buf = new Float32Array(n);
      c.buf.set(outL, c.n); c.n += n;
    }
  }
}
