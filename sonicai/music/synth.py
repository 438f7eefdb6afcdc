"""Rendering MIDI (pretty_midi objects) to audio with a General MIDI SoundFont.

TinySoundFont (compiled into the ``tinysoundfont`` wheel) does the synthesis; this
module schedules note, pitch-bend and controller events sample-accurately by
rendering the blocks between consecutive events.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pretty_midi

SYSTEM_SOUNDFONTS = [
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),  # Debian fluid-soundfont-gm (MIT)
    Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),  # Debian musescore-general-soundfont (MIT)
    Path("/usr/share/sounds/sf2/MuseScore_General.sf2"),
]
#: Seconds rendered after the last note so releases and reverb tails are not cut.
TAIL_SECONDS = 1.5


class SoundFontMissing(RuntimeError):
    pass


def find_soundfont() -> Path:
    """SONICAI_SOUNDFONT, an MIT-licensed system SoundFont, or the one in pretty_midi."""
    env = os.environ.get("SONICAI_SOUNDFONT")
    if env:
        if not Path(env).is_file():
            raise SoundFontMissing(f"SONICAI_SOUNDFONT={env} does not exist")
        return Path(env)
    for path in SYSTEM_SOUNDFONTS:
        if path.is_file():
            return path
    spec = importlib.util.find_spec("pretty_midi")
    if spec and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "TimGM6mb.sf2"
        if path.is_file():
            return path
    raise SoundFontMissing("No General MIDI SoundFont found: install pretty_midi, fluid-soundfont-gm, "
                           "or set SONICAI_SOUNDFONT to an .sf2 file.")


@lru_cache(maxsize=4)
def _soundfont_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def _events(pm: pretty_midi.PrettyMIDI, instruments: list[pretty_midi.Instrument], sr: int) -> list[tuple]:
    """(sample, order, kind, channel, a, b) sorted; note-offs sort before note-ons at the same sample."""
    events = []
    melodic = 0
    for inst in instruments:
        if inst.is_drum:
            chan = 9
        else:
            chan = melodic if melodic < 9 else melodic + 1
            melodic += 1
        events.append((0, 0, "program", chan, inst.program, inst.is_drum))
        for cc in inst.control_changes:
            events.append((int(round(cc.time * sr)), 1, "cc", chan, cc.number, cc.value))
        for bend in inst.pitch_bends:
            events.append((int(round(bend.time * sr)), 1, "bend", chan, bend.pitch + 8192, 0))
        for note in inst.notes:
            start, end = int(round(note.start * sr)), int(round(note.end * sr))
            events.append((start, 3, "on", chan, note.pitch, note.velocity))
            events.append((max(start + 1, end), 2, "off", chan, note.pitch, 0))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def _render(pm: pretty_midi.PrettyMIDI, instruments: list[pretty_midi.Instrument], sr: int, n: int,
            soundfont: Path) -> np.ndarray:
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sr)
    sfid = synth.sfload(_soundfont_bytes(str(soundfont)), max_voices=256)
    out = np.zeros((n, 2), dtype=np.float32)
    pos = 0
    for sample, _, kind, chan, a, b in _events(pm, instruments, sr):
        sample = min(sample, n)
        if sample > pos:
            out[pos:sample] = np.frombuffer(synth.generate(sample - pos), dtype=np.float32).reshape(-1, 2)
            pos = sample
        if kind == "program":
            synth.program_select(chan, sfid, 128 if b else 0, 0 if b else a, is_drums=bool(b))
        elif kind == "on":
            synth.noteon(chan, a, b)
        elif kind == "off":
            synth.noteoff(chan, a)
        elif kind == "cc":
            synth.control_change(chan, a, b)
        elif kind == "bend":
            synth.pitchbend(chan, a)
    if pos < n:
        out[pos:] = np.frombuffer(synth.generate(n - pos), dtype=np.float32).reshape(-1, 2)
    return np.ascontiguousarray(out.T)


def _length(pm: pretty_midi.PrettyMIDI, sr: int, duration: float | None) -> int:
    seconds = duration if duration is not None else pm.get_end_time() + TAIL_SECONDS
    return max(1, int(round(seconds * sr)))


def render_midi(pm: pretty_midi.PrettyMIDI, sr: int = 44100, soundfont: Path | None = None,
                duration: float | None = None) -> np.ndarray:
    """The whole piece as (2, n) float32 audio."""
    return _render(pm, pm.instruments, sr, _length(pm, sr, duration), soundfont or find_soundfont())


def render_tracks(pm: pretty_midi.PrettyMIDI, sr: int = 44100, soundfont: Path | None = None,
                  duration: float | None = None) -> dict[str, np.ndarray]:
    """Each instrument (by ``Instrument.name``) rendered on its own, all the same length.
    Instruments sharing a name are rendered together."""
    n = _length(pm, sr, duration)
    soundfont = soundfont or find_soundfont()
    groups: dict[str, list[pretty_midi.Instrument]] = {}
    for inst in pm.instruments:
        groups.setdefault(inst.name or f"program-{inst.program}", []).append(inst)
    return {name: _render(pm, insts, sr, n, soundfont) for name, insts in groups.items()}
