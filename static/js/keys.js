// Note and key names as the server spells them (sonicai.music.spelling): the pages' one copy of the rule.

const SHARP = ["C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B"];
const FLAT = ["C", "D♭", "D", "E♭", "E", "F", "G♭", "G", "A♭", "A", "B♭", "B"];

/** A pitch class from a note name ("F♯", "Bb", "C#"); -1 when it is not one. */
export function pitchClass(name) {
  const n = (name || "").replace("#", "♯").replace(/^([A-G])b/, "$1♭");
  const i = SHARP.indexOf(n);
  return i >= 0 ? i : FLAT.indexOf(n);
}

/** The name of a pitch class (any integer), with flats or sharps. */
export function noteName(pc, useFlats) { return (useFlats ? FLAT : SHARP)[((pc % 12) + 12) % 12]; }

/** Whether a key is spelled with flats: the spelling with the fewest accidentals (a tie goes flat in minor). */
export function spelledWithFlats(pc, mode) {
  const minor = (mode || "").startsWith("min");
  const rel = minor ? (pc + 3) % 12 : pc, sharps = (rel * 7) % 12, flats = (12 - sharps) % 12;
  return sharps === flats ? minor : flats < sharps;
}

/** "B♭ major", "F♯ minor". */
export function keyName(pc, mode) {
  return `${noteName(pc, spelledWithFlats(pc, mode))} ${(mode || "").startsWith("min") ? "minor" : "major"}`;
}
