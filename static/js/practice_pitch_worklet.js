// The practice player's pitch processor (practice_pitch_core.js) on the browser's audio thread. It replaced a
// ScriptProcessorNode on the page's own thread, which browsers have deprecated: there the sound broke up
// whenever the page was busy drawing, and its 4096-frame blocks put a quarter of a second between a click on
// Play and the sound.
import { PitchCore } from "./practice_pitch_core.js";

class PracticePitch extends AudioWorkletProcessor {
  constructor() {
    super();
    this.core = new PitchCore((m) => this.port.postMessage(m));
    this.port.onmessage = (e) => this.core.handle(e.data);
  }

  process(inputs, outputs) {
    const input = inputs[0], output = outputs[0];
    this.core.process(input[0], input[1] ?? input[0], input[2], output[0], output[1] ?? output[0]);
    return true;
  }
}

registerProcessor("practice-pitch", PracticePitch);
