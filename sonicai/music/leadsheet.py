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
    beats: int = 4  # beats the bar holds: the meter's, fewer in a pickup before the first downbeat
    chord_beats: list[int] = field(default_factory=list)  # the beat of the bar (from 0) each chord starts on


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
    key_uncertain: bool = False  # the analysis' flag: the key is more likely wrong than right

    @property
    def time_signature(self) -> str:
        return f"{self.beats_per_bar}/4"

    @property
    def pickup(self) -> bool:
        """Whether the first bar is a pickup (fewer beats than the meter's): bar 0, as MusicXML numbers it."""
        return bool(self.bars) and self.bars[0].beats < self.beats_per_bar

    @property
    def full_bars(self) -> int:
        return len(self.bars) - (1 if self.pickup else 0)

    def to_dict(self) -> dict:
        return {"title": self.title, "tempo_bpm": self.tempo_bpm, "key": self.key, "mode": self.mode,
                "key_uncertain": self.key_uncertain,
                "time_signature": self.time_signature, "time_signature_confident": self.time_signature_confident,
                "pickup": self.pickup,
                "sections": self.sections,
                "bars": [{"number": b.number, "start": round(b.start, 3), "end": round(b.end, 3), "chords": b.chords,
                          "chord_beats": b.chord_beats, "beats": b.beats, "section": b.section} for b in self.bars]}


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
    best_four = (0.0, 0)
    for meter in _METERS:
        for phase in range(meter):
            share = sum(1 for i in changes if (i - phase) % meter == 0) / len(changes)
            # A bar of 4 also holds every change of a bar of 2; prefer 4 unless 3 is clearly better.
            bonus = 0.05 if meter == 4 else 0.0
            if share + bonus > best[0]:
                best = (share + bonus, meter, phase)
            if meter == 4 and share > best_four[0]:
                best_four = (share, phase)
    share, meter, phase = best
    if share < 0.6 and meter != 4:
        # Changes too scattered to tell the meter: the commonest one, as when there are too few (a GTZAN jazz
        # excerpt came out in 3/4 on 44 % of 9 changes against 33 %, its count-in in threes).
        return 4, best_four[1], False
    return meter, phase, share >= 0.6


def build(analysis: dict, title: str = "") -> LeadSheet:
    beats = [float(b) for b in analysis.get("beats") or []]
    chords = analysis.get("chords") or []
    tonic, mode = analysis.get("key", "C"), analysis.get("mode", "major")
    meter, phase, confident = infer_meter(beats, chords)
    duration = float(analysis.get("duration") or (chords[-1]["end"] if chords else 0.0))
    downbeats = beats[phase::meter] if beats else []
    bounds = ([0.0] if not downbeats or downbeats[0] > 0.05 else []) + downbeats + [duration]
    bars = [Bar(0, a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b - a > 0.05]  # numbered below
    pc = pitch_class(tonic)
    tempo = float(analysis.get("tempo_bpm") or 0.0)
    beat_seconds = 60.0 / tempo if tempo > 0 else 0.5
    for bar in bars:
        in_bar = [t for t in beats if bar.start - 0.05 <= t < bar.end - 0.05]
        # A bar before the first downbeat holds the beats it has (a pickup); every other bar the meter's.
        bar.beats = meter if bar.start >= (downbeats[0] if downbeats else 0.0) - 0.05 else max(1, len(in_bar))
        for c in chords:
            if c["end"] > bar.start + 0.05 and c["start"] < bar.end - 0.05:
                symbol = chord_symbol(c["root"], c["quality"], pc, mode)
                at = _beat_in_bar(max(c["start"], bar.start), bar, in_bar, beat_seconds)
                if bar.chords and bar.chord_beats[-1] == at:  # two changes within a beat: the later one is heard on it
                    bar.chords.pop()
                    bar.chord_beats.pop()
                if not bar.chords or bar.chords[-1] != symbol:
                    bar.chords.append(symbol)
                    bar.chord_beats.append(at)
        if not bar.chords and chords:
            bar.chords.append("N.C.")
            bar.chord_beats.append(0)
    if len(bars) > 1 and bars[-1].end - bars[-1].start < 0.5 * meter * beat_seconds and \
            bars[-1].chords == bars[-2].chords[-1:]:
        # The last chord ringing out (or the silence after it) past the last downbeat: part of the bar before.
        ring_out = bars.pop()
        bars[-1].end = ring_out.end
    if bars and downbeats and bars[0].end <= downbeats[0] + 0.05 and not any(t < downbeats[0] - 0.05 for t in beats):
        # Less than a beat before the first one (a breath, a count-off's tail): not a bar of the song.
        bars = bars[1:]
    # Numbered once the bars are settled: a pickup is bar 0 and the first full bar is bar 1, as in the MusicXML
    # and in print (the page called the pickup bar 1, so its "bar 2" was the score's measure 1).
    first = 0 if bars and bars[0].beats < meter else 1
    for i, bar in enumerate(bars):
        bar.number = first + i
    sections = list(analysis.get("sections") or [])
    for s in sections:
        first = next((b for b in bars if b.end > s["start"] + 0.05), None)
        if first is not None and first.section is None:
            first.section = s.get("label") or s.get("name")
    return LeadSheet(title=title, tempo_bpm=float(analysis.get("tempo_bpm") or 0.0),  # rounded where shown
                     key=key_name(pc, mode, unicode=True), mode=mode, beats_per_bar=meter,
                     time_signature_confident=confident, bars=bars, sections=sections,
                     key_uncertain=bool(analysis.get("key_uncertain")))


def _beat_in_bar(t: float, bar: Bar, in_bar: list[float], beat_seconds: float) -> int:
    """The beat of ``bar`` (counted from 0) nearest to time ``t``: the tracked beat, or where the tracker has none
    in the bar (before its first beat, after its last) the beat the tempo puts there."""
    if len(in_bar) >= bar.beats:
        return min(range(bar.beats), key=lambda i: abs(in_bar[i] - t))
    return max(0, min(bar.beats - 1, round((t - bar.start) / beat_seconds)))


def _ascii(symbol: str) -> str:
    return symbol.replace("♭", "b").replace("♯", "#")


def _half_up(value: float, digits: int = 0) -> float:
    """Rounded as the pages round (Django's floatformat: half away from zero, on the decimal written): Python's
    round() gave 114 for the 114.5 the lead sheet page showed as 115, and 157.2 for the file page's 157.3."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def to_chordpro(sheet: LeadSheet) -> str:
    """ChordPro 6: directives for title, key, tempo and time, then four bars a line with the chords in
    brackets, a section directive where a section starts."""
    lines = [f"{{title: {sheet.title or 'Untitled'}}}",
             f"{{key: {_ascii(sheet.key)}{'m' if sheet.mode == 'minor' else ''}}}",
             *([f"{{tempo: {_half_up(sheet.tempo_bpm):g}}}"] if sheet.tempo_bpm > 0 else []),  # none without a beat
             f"{{time: {sheet.time_signature}}}", ""]
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
    fifths = key_fifths(sheet.key, sheet.mode)
    beats = sheet.beats_per_bar
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
           '"http://www.musicxml.org/dtds/partwise.dtd">',
           '<score-partwise version="4.0">',
           f"<work><work-title>{html.escape(sheet.title or 'Untitled')}</work-title></work>",
           '<part-list><score-part id="P1"><part-name>Chords</part-name></score-part></part-list>',
           '<part id="P1">']
    bars = sheet.bars or [Bar(1, 0.0, 0.0, ["N.C."], chord_beats=[0], beats=beats)]
    for i, bar in enumerate(bars):
        # A pickup is measure 0, "implicit" (not counted), and holds only its own beats.
        implicit = ' implicit="yes"' if i == 0 and sheet.pickup else ""
        out.append(f'<measure number="{bar.number}"{implicit}>')
        if i == 0:
            mode = "minor" if sheet.mode == "minor" else "major"
            out.append(f"<attributes><divisions>{_DIVISIONS}</divisions><key><fifths>{fifths}</fifths>"
                       f"<mode>{mode}</mode></key><time><beats>{beats}</beats><beat-type>4</beat-type></time>"
                       "<clef><sign>G</sign><line>2</line></clef></attributes>")
        if i == 0 and sheet.tempo_bpm > 0:  # no metronome mark for music without a beat
            out.append(f'<direction placement="above"><direction-type><metronome><beat-unit>quarter</beat-unit>'
                       f"<per-minute>{_half_up(sheet.tempo_bpm):g}</per-minute></metronome></direction-type>"
                       f'<sound tempo="{_half_up(sheet.tempo_bpm, 1):g}"/></direction>')
        if bar.section:
            out.append(f'<direction placement="above"><direction-type><rehearsal>{html.escape(bar.section)}'
                       "</rehearsal></direction-type></direction>")
        # Each chord symbol over a rest lasting until the next change, on the beat where the chord starts.
        starts = bar.chord_beats if len(bar.chord_beats) == len(bar.chords) and bar.chords else [0]
        symbols = bar.chords or ["N.C."]
        if starts[0] > 0:
            out.append(_rest(starts[0]))  # the bar begins on the previous bar's chord
        for symbol, at, end in zip(symbols, starts, [*starts[1:], bar.beats], strict=True):
            out.append(_harmony(symbol))
            out.append(_rest(end - at))
        out.append("</measure>")
    out += ["</part>", "</score-partwise>"]
    return "\n".join(out) + "\n"


def _rest(beats: int) -> str:
    kind = {1: "quarter", 2: "half", 3: "half", 4: "whole"}.get(beats, "quarter")
    return (f"<note><rest/><duration>{beats * _DIVISIONS}</duration><type>{kind}</type>"
            f"{'<dot/>' if beats == 3 else ''}</note>")


#: Fifths of the natural notes from C (the key signature of their major keys).
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}


def key_fifths(tonic: str, mode: str) -> int:
    """The key signature (sharps > 0, flats < 0) of a key as spelled: 'Eb' minor -> -6, 'D#' minor -> 6.

    Counted from the spelling rather than looked up by pitch class, so E♭ minor gets six flats, not the six sharps
    of D♯ minor (the relative major of E♭ minor named by pitch class is F♯)."""
    name = _ascii(tonic)
    alter = name[1:].count("#") - name[1:].count("b")
    return _LETTER_FIFTHS[name[0].upper()] + 7 * alter - (3 if mode == "minor" else 0)
