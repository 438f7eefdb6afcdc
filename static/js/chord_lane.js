// A chord lane: the chord track drawn as labelled boxes along a time range, with a playhead and the chord
// under it highlighted. Self-contained ES module (no globals, no inline styles beyond positions), so any page
// can put it under its waveform:
//
//   import { chordLane } from "/static/js/chord_lane.js";
//   const lane = chordLane(element, chords, { start: 0, end: duration, onSeek: (t) => player.seek(t) });
//   lane.setTime(player.currentTime);      // call on every animation frame while playing
//   lane.setRange(10, 40);                 // follow zoom / scroll of the waveform
//
// ``chords`` is the analysis' chord track (GET /api/v1/audio/{id}/chords): [{start, end, symbol, label}, ...].
import { noteName, pitchClass } from "./keys.js";

"use strict";

/** A chord symbol ("F♯m7", "B♭/D", "N.C.") moved by ``semitones``: its root and any bass note. */
export function transposeChord(symbol, semitones, useFlats) {
  if (!semitones || !symbol) return symbol;
  const move = (note) => { const pc = pitchClass(note); return pc < 0 ? note : noteName(pc + semitones, useFlats); };
  return symbol.replace(/^([A-G][♯♭#b]?)/, (m) => move(m)).replace(/\/([A-G][♯♭#b]?)$/, (m, bass) => `/${move(bass)}`);
}

export function chordLane(element, chords, options = {}) {
  const list = (chords || []).filter((c) => c.end > c.start);
  let start = options.start ?? 0;
  let end = options.end ?? (list.length ? list[list.length - 1].end : 1);
  let time = 0;
  let current = null;

  const lane = document.createElement("div");
  lane.className = "chord-lane";
  lane.setAttribute("role", "list");
  lane.setAttribute("aria-label", "Chords");
  const head = document.createElement("div");
  head.className = "chord-lane-playhead";
  element.replaceChildren(lane);
  const cells = list.map((c) => {
    const cell = document.createElement("div");
    cell.className = c.symbol === "N.C." ? "chord-cell none" : "chord-cell";
    cell.setAttribute("role", "listitem");
    cell.textContent = c.symbol || c.label;
    cell.title = `${c.symbol || c.label} · ${c.start.toFixed(2)}–${c.end.toFixed(2)} s`;
    if (options.onSeek) cell.addEventListener("click", () => options.onSeek(c.start));
    lane.appendChild(cell);
    return cell;
  });
  lane.appendChild(head);

  function layout() {
    const span = Math.max(1e-6, end - start);
    list.forEach((c, i) => {
      const a = Math.max(c.start, start), b = Math.min(c.end, end);
      const cell = cells[i];
      cell.hidden = b <= a;
      if (b <= a) return;
      cell.style.left = `${((a - start) / span) * 100}%`;
      cell.style.width = `${((b - a) / span) * 100}%`;
    });
    place();
  }

  function chordAt(t) {
    return list.findIndex((c) => t >= c.start && t < c.end);
  }

  function place() {
    const span = Math.max(1e-6, end - start);
    const x = (time - start) / span;
    head.hidden = x < 0 || x > 1;
    head.style.left = `${Math.min(1, Math.max(0, x)) * 100}%`;
    const i = chordAt(time);
    if (i !== current) {
      if (current !== null && cells[current]) cells[current].classList.remove("now");
      if (i >= 0) cells[i].classList.add("now");
      current = i;
      element.dataset.chord = i >= 0 ? named(list[i]) : "";
    }
  }

  // Transposing the audio transposes the names: a player reading along plays what they hear.
  let shift = 0, flats = false;
  const named = (c) => transposeChord(c.symbol || c.label, shift, flats);
  function relabel() {
    cells.forEach((cell, i) => {
      cell.textContent = named(list[i]);
      cell.title = `${named(list[i])} · ${list[i].start.toFixed(2)}–${list[i].end.toFixed(2)} s`;
    });
    if (current !== null && current >= 0) element.dataset.chord = named(list[current]);
  }

  layout();
  return {
    transpose(semitones, useFlats) { shift = semitones; flats = useFlats; relabel(); },
    setRange(a, b) { start = a; end = Math.max(a + 1e-3, b); layout(); },
    setTime(t) { time = t; place(); },
    chordAt(t) { const i = chordAt(t); return i >= 0 ? { ...list[i], symbol: named(list[i]) } : null; },
    destroy() { element.replaceChildren(); },
  };
}
