"""A lead sheet from an analysis: tempo, key, time signature, sections and the chord track laid out in bars,
written as ChordPro or MusicXML.

Framework-free: takes the analysis dict the pipeline returns (``tempo_bpm``, ``beats``, ``key``, ``mode``,
``chords``; ``sections`` when a section detector has added them) and returns plain data and text.

Time signature: the analysis has beats but no downbeats, so the meter and the bar lines are inferred from
where the chords change: harmony changes mostly on the first beat of a bar. For 3 and 4 beats per bar and
every phase, the share of chord changes landing on beat one is counted; the best wins, 4/4 on ties and
when there are too few changes to tell (``time_signature_confident`` says which).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from .analysis.chords import chord_symbol
from .notes import key_name, pitch_class

_METERS = (4, 3)


@dataclass
class Bar:
    number: int
    start: float
    end: float
    chords: list[str] = field(default_factory=list)  # one symbol per chord sounding in the bar, in order
    section: str | None = None


@dataclass
class LeadSheet:
    title: str
    tempo_bpm: float
    key: str  # spelled, e.g. 'Bb'
    mode: str
    beats_per_bar: int
    time_signature_confident: bool
    bars: list[Bar]
    sections: list[dict]

    @property
    def time_signature(self) -> str:
        return f"{self.beats_per_bar}/4"

    def to_dict(self) -> dict:
        return {"title": self.title, "tempo_bpm": self.tempo_bpm, "key": self.key, "mode": self.mode,
                "time_signature": self.time_signature, "time_signature_confident": self.time_signature_confident,
                "sections": self.sections,
                "bars": [{"number": b.number, "start": round(b.start, 3), "end": round(b.end, 3), "chords": b.chords,
                          "section": b.section} for b in self.bars]}


def _change_beats(beats: list[float], chords: list[dict]) -> list[int]:
    """Index of the beat each chord change lands on."""
    out = []
    for c in chords[1:]:
        if not beats:
            break
        nearest = min(range(len(beats)), key=lambda i: abs(beats[i] - c["start"]))
        if abs(beats[nearest] - c["start"]) < 0.05:
            out.append(nearest)
    return out


def infer_meter(beats: list[float], chords: list[dict]) -> tuple[int, int, bool]:
    """(beats per bar, index of the first downbeat, confident?) from where the chords change."""
    changes = _change_beats(beats, chords)
    if len(changes) < 4:
        return 4, 0, False
    best = (0.0, 4, 0)
    for meter in _METERS:
        for phase in range(meter):
            share = sum(1 for i in changes if (i - phase) % meter == 0) / len(changes)
            # A bar of 4 also holds every change of a bar of 2; prefer 4 unless 3 is clearly better.
            bonus = 0.05 if meter == 4 else 0.0
            if share + bonus > best[0]:
                best = (share + bonus, meter, phase)
    share, meter, phase = best
    return meter, phase, share >= 0.6


def build(analysis: dict, title: str = "") -> LeadSheet:
    beats = [float(b) for b in analysis.get("beats") or []]
    chords = analysis.get("chords") or []
    tonic, mode = analysis.get("key", "C"), analysis.get("mode", "major")
    meter, phase, confident = infer_meter(beats, chords)
    duration = float(analysis.get("duration") or (chords[-1]["end"] if chords else 0.0))
    downbeats = beats[phase::meter] if beats else []
    bounds = ([0.0] if not downbeats or downbeats[0] > 0.05 else []) + downbeats + [duration]
    bars = [Bar(i + 1, a, b) for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)) if b - a > 0.05]
    pc = pitch_class(tonic)
    for bar in bars:
        for c in chords:
            if c["end"] > bar.start + 0.05 and c["start"] < bar.end - 0.05:
                symbol = chord_symbol(c["root"], c["quality"], pc, mode)
                if not bar.chords or bar.chords[-1] != symbol:
                    bar.chords.append(symbol)
        if not bar.chords and chords:
            bar.chords.append("N.C.")
    sections = list(analysis.get("sections") or [])
    for s in sections:
        first = next((b for b in bars if b.end > s["start"] + 0.05), None)
        if first is not None and first.section is None:
            first.section = s.get("label") or s.get("name")
    return LeadSheet(title=title, tempo_bpm=round(float(analysis.get("tempo_bpm") or 0.0), 1),
                     key=key_name(pc, mode, unicode=True), mode=mode, beats_per_bar=meter,
                     time_signature_confident=confident, bars=bars, sections=sections)


def _ascii(symbol: str) -> str:
    return symbol.replace("♭", "b").replace("♯", "#")


def to_chordpro(sheet: LeadSheet) -> str:
    """ChordPro 6: directives for title, key, tempo and time, then four bars a line with the chords in
    brackets, a section directive where a section starts."""
    lines = [f"{{title: {sheet.title or 'Untitled'}}}",
             f"{{key: {_ascii(sheet.key)}{'m' if sheet.mode == 'minor' else ''}}}",
             f"{{tempo: {round(sheet.tempo_bpm)}}}", f"{{time: {sheet.time_signature}}}", ""]
    row: list[str] = []
    for bar in sheet.bars:
        if bar.section:
            if row:
                lines.append(" ".join(row) + " |")
                row = []
            lines.append(f"{{comment: {bar.section}}}")
        row.append("| " + " ".join(f"[{_ascii(c)}]" for c in bar.chords))
        if len(row) == 4:
            lines.append(" ".join(row) + " |")
            row = []
    if row:
        lines.append(" ".join(row) + " |")
    return "\n".join(lines) + "\n"


# MusicXML harmony kinds for our qualities (MusicXML 4.0 <kind> values).
_KIND = {"": "major", "m": "minor", "7": "dominant", "maj7": "major-seventh", "m7": "minor-seventh",
         "dim": "diminished", "sus4": "suspended-fourth"}
_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "Db": -5, "Ab": -4, "Eb": -3, "Bb": -2, "F": -1,
           "C#": 7, "G#": 8}
_DIVISIONS = 1


def _harmony(symbol: str) -> str:
    if symbol == "N.C.":
        return "<harmony><root><root-step>C</root-step></root><kind text=\"N.C.\">none</kind></harmony>"
    sym = _ascii(symbol)
    root = sym[0]
    alter = 1 if sym[1:2] == "#" else -1 if sym[1:2] == "b" else 0
    kind = _KIND.get(sym[1 + (alter != 0):], "major")
    alter_xml = f"<root-alter>{alter}</root-alter>" if alter else ""
    return (f"<harmony><root><root-step>{root}</root-step>{alter_xml}</root>"
            f"<kind text=\"{html.escape(sym[1 + (alter != 0):])}\">{kind}</kind></harmony>")


def to_musicxml(sheet: LeadSheet) -> str:
    """A one-part MusicXML 4.0 score: key signature, time signature, tempo, chord symbols (``<harmony>``)
    over bars of rests, a rehearsal mark where a section starts. Opens in MuseScore, Finale, Sibelius."""
    tonic_ascii = _ascii(sheet.key)
    relative_major = tonic_ascii if sheet.mode == "major" else key_name((pitch_class(tonic_ascii) + 3) % 12, "major")
    fifths = _FIFTHS.get(relative_major, 0)
    beats = sheet.beats_per_bar
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
           '"http://www.musicxml.org/dtds/partwise.dtd">',
           '<score-partwise version="4.0">',
           f"<work><work-title>{html.escape(sheet.title or 'Untitled')}</work-title></work>",
           '<part-list><score-part id="P1"><part-name>Chords</part-name></score-part></part-list>',
           '<part id="P1">']
    for i, bar in enumerate(sheet.bars or [Bar(1, 0.0, 0.0, ["N.C."])]):
        out.append(f'<measure number="{i + 1}">')
        if i == 0:
            mode = "minor" if sheet.mode == "minor" else "major"
            out.append(f"<attributes><divisions>{_DIVISIONS}</divisions><key><fifths>{fifths}</fifths>"
                       f"<mode>{mode}</mode></key><time><beats>{beats}</beats><beat-type>4</beat-type></time>"
                       "<clef><sign>G</sign><line>2</line></clef></attributes>")
            out.append(f'<direction placement="above"><direction-type><metronome><beat-unit>quarter</beat-unit>'
                       f"<per-minute>{round(sheet.tempo_bpm)}</per-minute></metronome></direction-type>"
                       f'<sound tempo="{round(sheet.tempo_bpm, 1)}"/></direction>')
        if bar.section:
            out.append(f'<direction placement="above"><direction-type><rehearsal>{html.escape(bar.section)}'
                       "</rehearsal></direction-type></direction>")
        # Chords share the bar: the first on beat one, the others spread over the remaining beats.
        n = max(1, len(bar.chords))
        per = [beats // n + (1 if k < beats % n else 0) for k in range(n)] if n <= beats else [1] * beats
        for symbol, length in zip(bar.chords or ["N.C."], per, strict=False):
            out.append(_harmony(symbol))
            out.append(f"<note><rest/><duration>{length * _DIVISIONS}</duration><type>{_note_type(length)}</type>"
                       f"{'<dot/>' if length == 3 else ''}</note>")
        out.append("</measure>")
    out += ["</part>", "</score-partwise>"]
    return "\n".join(out) + "\n"


def _note_type(beats: int) -> str:
    return {1: "quarter", 2: "half", 3: "half", 4: "whole"}.get(beats, "quarter")
