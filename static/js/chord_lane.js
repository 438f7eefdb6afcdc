// A chord lane: the chord track drawn as labelled boxes along a time range, with a playhead and the chord
// under it highlighted. Self-contained ES module (no globals, no inline styles beyond positions), so any page
// can put it under its waveform:
//
//   import { chordLane } from "/static/js/chord_lane.js";
//   const lane = chordLane(element, chords, { start: 0, end: duration, onSeek: (t) => player.seek(t) });
//   lane.setTime(player.currentTime);      // call on every animation frame while playing
//   lane.setRange(10, 40);                 // follow zoom / scroll of the waveform
//
// With ``minCellWidth`` (px) the lane stands alone instead of lining up with a waveform: every chord gets at
// least that width (and its name's), the lane grows wider than its host, which scrolls sideways to keep the
// chord being played in view. Used where many chords share a narrow screen (a long song on a phone).
//
// ``chords`` is the analysis' chord track (GET /api/v1/audio/{id}/chords): [{start, end, symbol, label}, ...].
import { noteName, pitchClass } from "./keys.js";

"use strict";

/** A chord symbol ("F♯m7", "B♭/D", "N.C.") moved by ``semitones``: its root and any bass note, named from
 * ``names`` (the twelve pitch classes, C first, as the server spells them in the key the song lands in). */
export function transposeChord(symbol, semitones, names) {
  if (!semitones || !symbol) return symbol;
  const move = (note) => {
    const pc = pitchClass(note);
    return pc < 0 ? note : names ? names[(((pc + semitones) % 12) + 12) % 12] : noteName(pc + semitones, false);
  };
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
  const minWidth = options.minCellWidth || 0;
  element.classList.toggle("scrolling", minWidth > 0);
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

  // Pixel boxes of the scrolling layout: [left, width] per chord, widened to the minimum, gaps kept to scale.
  let boxes = [];
  function naturalWidths() {
    cells.forEach((cell) => { cell.style.width = "auto"; });
    return cells.map((cell) => cell.getBoundingClientRect().width);
  }
  function layoutScrolling() {
    const pxPerSec = Math.max(1, element.clientWidth) / Math.max(1e-6, end - start);
    const natural = naturalWidths();
    let x = 0, prevEnd = start;
    boxes = list.map((c, i) => {
      x += Math.max(0, c.start - prevEnd) * pxPerSec;
      const box = [x, Math.max(minWidth, Math.ceil(natural[i]) + 2, (c.end - c.start) * pxPerSec)];
      x += box[1]; prevEnd = c.end;
      return box;
    });
    x += Math.max(0, end - prevEnd) * pxPerSec;
    lane.style.width = `${Math.max(x, element.clientWidth)}px`;
    boxes.forEach(([left, width], i) => { cells[i].style.left = `${left}px`; cells[i].style.width = `${width}px`; });
    place();
    keepInView(current ?? -1);  // the boxes moved: bring the chord being played back into view
  }
  // Where time t sits on the scrolling lane: inside its chord's box, else in the gap before the next chord.
  function pixelAt(t) {
    const next = list.findIndex((c) => t < c.end);
    if (next < 0) return boxes.length ? boxes.at(-1)[0] + boxes.at(-1)[1] : 0;
    const c = list[next], [left, width] = boxes[next];
    if (t >= c.start) return left + ((t - c.start) / (c.end - c.start)) * width;
    const gapStart = next ? boxes[next - 1][0] + boxes[next - 1][1] : 0, prevEnd = next ? list[next - 1].end : start;
    return gapStart + ((t - prevEnd) / Math.max(1e-6, c.start - prevEnd)) * (left - gapStart);
  }
  function keepInView(i) {
    if (i < 0 || !boxes[i]) return;
    const [left, width] = boxes[i], view = element.clientWidth;
    if (left < element.scrollLeft || left + width > element.scrollLeft + view) {
      element.scrollLeft = Math.max(0, left - view * 0.25);
    }
  }

  function layout() {
    if (minWidth) { layoutScrolling(); return; }
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

  function placeHead() {
    if (minWidth) { head.hidden = false; head.style.left = `${pixelAt(time)}px`; return; }
    const span = Math.max(1e-6, end - start);
    const x = (time - start) / span;
    head.hidden = x < 0 || x > 1;
    head.style.left = `${Math.min(1, Math.max(0, x)) * 100}%`;
  }

  function place() {
    placeHead();
    const i = chordAt(time);
    if (i !== current) {
      if (current !== null && cells[current]) cells[current].classList.remove("now");
      if (i >= 0) cells[i].classList.add("now");
      current = i;
      element.dataset.chord = i >= 0 ? named(list[i]) : "";
      if (minWidth) keepInView(i);
    }
  }

  // Transposing the audio transposes the names: a player reading along plays what they hear.
  let shift = 0, names = null;
  const named = (c) => transposeChord(c.symbol || c.label, shift, names);
  function relabel() {
    cells.forEach((cell, i) => {
      cell.textContent = named(list[i]);
      cell.title = `${named(list[i])} · ${list[i].start.toFixed(2)}–${list[i].end.toFixed(2)} s`;
    });
    if (current !== null && current >= 0) element.dataset.chord = named(list[current]);
    if (minWidth) layout();  // a longer name may need a wider box
  }

  layout();
  if (minWidth && window.ResizeObserver) {
    let width = element.clientWidth;
    new ResizeObserver(() => { if (element.clientWidth !== width) { width = element.clientWidth; layout(); } }).observe(element);
  }
  return {
    transpose(semitones, spelling) { shift = semitones; names = spelling || null; relabel(); },
    setRange(a, b) { start = a; end = Math.max(a + 1e-3, b); layout(); },
    setTime(t) { time = t; place(); },
    chordAt(t) { const i = chordAt(t); return i >= 0 ? { ...list[i], symbol: named(list[i]) } : null; },
    destroy() { element.replaceChildren(); },
  };
}
