"""Genre transformation: the song's vocals on a new beat grid over a freshly composed arrangement.

Steps: separate (or take) the vocals; detect tempo, beats and key on the mix and chords on the
accompaniment; pick the genre's tempo (the genre range nearest the song's tempo, allowing half/double
time); warp the vocals beat by beat onto the new grid; map the chords onto grid beats; compose drums,
bass and harmony in the genre's style under them (General MIDI soundfont rendering); apply the genre's
production and master to -14 LUFS. The composer, synth, production and mastering modules belong to
teammates (``sonicai.music.compose``, ``sonicai.music``); this module only wires the remix through them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sonicai.music.analysis.chords import ChordSegment, recognize_chords
from sonicai.music.audio_io import as_channels, fit_length
from sonicai.music.errors import MusicInputError
from sonicai.music.notes import NOTE_NAMES, pitch_class
from sonicai.music.progress import Progress, report, within
from sonicai.music.transform.stretch import warp_to_grid

TARGET_LUFS = -14.0


class GenreError(MusicInputError):
    """Bad genre request (unknown genre, audio too short, ...)."""


@dataclass
class GenreRemixResult:
    audio: np.ndarray  # float32 (2, n)
    sr: int
    tempo_bpm: float
    source_bpm: float
    key: str
    mode: str
    chords: list[ChordSegment]
    summary: dict = field(default_factory=dict)


def choose_tempo(
    source_bpm: float, tempo_range: tuple[float, float], target_bpm: float | None = None
) -> tuple[float, float]:
    """(genre tempo, beats per source beat): the tempo in range needing the least stretch, half/double allowed.

    ``beats per source beat`` is 2 when the song is felt in double time at the new tempo, 0.5 for half time.
    """
    lo, hi = float(tempo_range[0]), float(tempo_range[1])
    options = []
    for mult in (0.5, 1.0, 2.0):
        felt = source_bpm * mult
        bpm = float(target_bpm) if target_bpm else min(max(felt, lo), hi)
        options.append((abs(math.log(bpm / felt)), bpm, mult))
    _, bpm, mult = min(options)
    return bpm, mult


def _key_index(tonic: str | int) -> int:
    if isinstance(tonic, int | np.integer):
        return int(tonic) % 12
    try:
        return pitch_class(str(tonic))
    except ValueError:
        raise GenreError(f"unknown key tonic {tonic!r}") from None


#: Shorter than this holds too few beats to find the song's tempo and bars in.
MIN_SECONDS = 3.0


def stereo_source(audio: np.ndarray, sr: int) -> np.ndarray:
    """The song as (2, samples) float32, refused when it is too short to find a beat in."""
    x, _ = as_channels(audio)
    if x.shape[0] == 1:
        x = np.repeat(x, 2, axis=0)
    if x.shape[1] < MIN_SECONDS * sr:
        raise GenreError(f"a genre remix needs at least {MIN_SECONDS:g} s of audio")
    return x


def tempo_and_key(mono: np.ndarray, sr: int, analysis: dict | None) -> tuple[float, np.ndarray, int, str]:
    """(tempo in BPM, beat times in s, tonic pitch class, mode) of the song: from its stored ``analysis`` where
    that has them, else measured on ``mono``."""
    analysis = analysis or {}
    # the studio's stored analysis names it tempo_bpm; callers of this module may say bpm
    bpm, beats = analysis.get("bpm") or analysis.get("tempo_bpm"), analysis.get("beats")
    if not bpm or beats is None or len(beats) < 4:
        from sonicai.music.analysis.tempo import estimate_tempo

        tempo = estimate_tempo(mono, sr)
        bpm, beats = tempo.bpm, tempo.beats
    key, mode = analysis.get("key"), analysis.get("mode")
    if key is None or mode is None:
        from sonicai.music.analysis.key import estimate_key

        k = estimate_key(mono, sr)
        key, mode = k.tonic, k.mode
    beats = np.asarray(beats, dtype=float)
    if not bpm or len(beats) < 4:
        raise GenreError("no steady beat found in the audio; a genre remix needs at least four beats")
    return float(bpm), beats, _key_index(key), str(mode)


def vocals_and_backing(x: np.ndarray, sr: int, stems: dict[str, np.ndarray] | None,
                       progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The song's vocals (channels like ``x``) and its mono backing: from ``stems`` when they hold the vocals, else
    separated here by the default engine (reported on ``progress``)."""
    if stems and "vocals" in stems:
        vocals = as_channels(stems["vocals"])[0]
    else:
        from sonicai.music.separation.registry import DEFAULT_ENGINE, get_engine

        stems = get_engine(DEFAULT_ENGINE).separate(x, sr, progress=progress)
        vocals = as_channels(stems["vocals"])[0]
    vocals = fit_length(vocals, x.shape[1])
    if vocals.shape[0] != x.shape[0]:
        vocals = np.repeat(vocals.mean(axis=0, keepdims=True), x.shape[0], axis=0)
    others = [as_channels(v)[0] for k, v in stems.items() if k != "vocals"]
    backing = sum(fit_length(o, x.shape[1]).mean(axis=0) for o in others) if others else (x - vocals).mean(axis=0)
    return vocals, np.asarray(backing, dtype=np.float32)


def genre_remix(
    audio: np.ndarray, sr: int, genre: str, seed: int = 0, stems: dict[str, np.ndarray] | None = None,
    analysis: dict | None = None, target_bpm: float | None = None,
    progress: Progress | None = None,
) -> GenreRemixResult:
    """Turn ``audio`` into ``genre`` keeping its vocals; see the module docstring for the steps.

    ``analysis`` may carry ``bpm``, ``beats`` (seconds), ``key`` and ``mode`` already measured for the file.
    """
    from sonicai.music.compose.arranger import ChordEvent, arrange
    from sonicai.music.compose.production import produce
    from sonicai.music.compose.styles import STYLES
    from sonicai.music.master import master
    from sonicai.music.separation.registry import DEFAULT_ENGINE
    from sonicai.music.synth import render_tracks

    if genre not in STYLES:
        raise GenreError(f"unknown genre {genre!r}; expected one of: {', '.join(sorted(STYLES))}")
    style = STYLES[genre]
    x = stereo_source(audio, sr)

    vocals, backing = vocals_and_backing(x, sr, stems, within(progress, 0.05, 0.20))
    report(progress, 0.20, "detecting tempo, beats and key")
    source_bpm, beats, key_tonic, mode = tempo_and_key(x.mean(axis=0), sr, analysis)
    report(progress, 0.30, "recognising chords")
    chords = recognize_chords(backing, sr, beats=beats, key_tonic=key_tonic, mode=mode)

    tempo_bpm, per_beat = choose_tempo(source_bpm, tuple(style.tempo_range), target_bpm)
    period = 60.0 / tempo_bpm
    # The first detected beat lands on a whole grid beat, so the arrangement's bar lines meet the song's.
    lead_in = beats[0] * (source_bpm * per_beat) / tempo_bpm
    first = math.ceil(lead_in / period - 1e-6) * period
    dst = first + np.arange(len(beats)) * per_beat * period
    report(progress, 0.40, "warping vocals onto the new grid")
    warped = warp_to_grid(vocals, sr, beats, dst)
    n_out = warped.shape[1]

    # Source chord times -> grid beats, through the same (edge-extended) time map as the vocals.
    src_map = np.concatenate([[0.0], beats, [x.shape[1] / sr]])
    r0 = (dst[1] - dst[0]) / (beats[1] - beats[0])
    r1 = (dst[-1] - dst[-2]) / (beats[-1] - beats[-2])
    dst_map = np.concatenate([[dst[0] - beats[0] * r0], dst, [dst[-1] + (x.shape[1] / sr - beats[-1]) * r1]])
    total_beats = float(math.ceil(n_out / sr / period))
    events, last = [], (key_tonic, "min" if mode.startswith("min") else "maj")
    for seg in chords:
        root, quality = (seg.root, seg.quality) if seg.quality != "N" else last
        last = (root, quality)
        b0 = max(0.0, float(np.interp(seg.start, src_map, dst_map)) / period)
        b1 = min(total_beats, float(np.interp(seg.end, src_map, dst_map)) / period)
        # Snap to half beats: composed parts change chord on the grid, not between it.
        b0, b1 = round(b0 * 2) / 2, round(b1 * 2) / 2
        if b1 > b0:
            events.append(ChordEvent(start_beat=b0, beats=b1 - b0, root=int(root), quality=str(quality)))
    if events and events[0].start_beat > 0:
        head = events[0]
        events[0] = ChordEvent(start_beat=0.0, beats=head.start_beat + head.beats, root=head.root, quality=head.quality)

    report(progress, 0.55, f"composing the {genre} arrangement")
    pm = arrange(genre, events, tempo_bpm, key_tonic, mode, total_beats, seed, melody=False)
    report(progress, 0.70, "rendering instruments")
    tracks = {k: fit_length(as_channels(v)[0], n_out) for k, v in render_tracks(pm, sr).items()}
    report(progress, 0.85, "producing and mastering")
    mix = produce(genre, tracks, sr, tempo_bpm, seed, extra={"vocals": warped})
    mix = fit_length(as_channels(mix)[0], n_out)
    out = np.ascontiguousarray(master(mix, sr, target_lufs=TARGET_LUFS), dtype=np.float32)
    report(progress, 1.0, "done")
    key_name = NOTE_NAMES[key_tonic]
    summary = {
        "genre": genre, "source_bpm": round(source_bpm, 2), "tempo_bpm": round(tempo_bpm, 2),
        "beats_per_source_beat": per_beat, "key": key_name, "mode": mode, "seed": seed,
        "duration_s": round(n_out / sr, 3), "vocals_from": "stems" if stems and "vocals" in stems else DEFAULT_ENGINE,
        "chords": [c.label for c in chords][:256], "target_lufs": TARGET_LUFS,
        # The vocal time map (source beat times -> output times) so callers can align the source to the remix.
        "vocal_map": {"src": [round(float(t), 4) for t in beats], "dst": [round(float(t), 4) for t in dst]},
    }
    return GenreRemixResult(out, sr, tempo_bpm, source_bpm, key_name, mode, chords, summary)
