"""Mixing rendered parts with a genre's production (pedalboard effects plus a few
numpy processes pedalboard lacks: vinyl crackle, tape wobble, grid-locked pumping)."""

from __future__ import annotations

import numpy as np
import pedalboard as pb

from sonicai.music.audio_io import fit_length

from .styles import STYLES

#: Mix levels (dB) of the parts before production.
LEVELS = {"drums": 0.0, "bass": -1.5, "harmony": -5.0, "pad": -9.0, "melody": -4.0, "vocals": 0.0}


def _db(x: float) -> float:
    return 10 ** (x / 20)


#: Samples per block of the long-signal effects below: made whole, their float64 temporaries took 1-2 GB each
#: for a 10-minute song (a genre remix's production reached several GB; the long-file probe).
BLOCK = 1 << 20


def vinyl_crackle(n: int, sr: int, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Sparse clicks over band-limited hiss, as from a dusty record."""
    hiss = rng.standard_normal((2, n), dtype=np.float32) * np.float32(0.15)
    clicks = rng.random((2, n), dtype=np.float32) < 8.0 / sr
    hiss[clicks] += rng.standard_normal(int(clicks.sum()), dtype=np.float32) * np.float32(1.5)
    noise = pb.Pedalboard([pb.HighpassFilter(800), pb.LowpassFilter(7000)])(hiss, sr)
    return noise * np.float32(amount)


def tape_wobble(audio: np.ndarray, sr: int, depth: float, rate_hz: float = 0.6) -> np.ndarray:
    """Slow pitch drift: read the signal at a sinusoidally varying speed (``depth`` is the
    peak speed deviation, e.g. 0.003 = 0.3 %). Linear interpolation written out, block by block, because
    np.interp wants the whole float64 sample grid beside the signal."""
    n = audio.shape[1]
    if n < 2:
        return audio.astype(np.float32)
    out = np.empty(audio.shape, dtype=np.float32)
    for start in range(0, n, BLOCK):
        t = np.arange(start, min(n, start + BLOCK)) / sr
        drift = depth / (2 * np.pi * rate_hz) * np.sin(2 * np.pi * rate_hz * t)  # integral of speed deviation
        src = np.clip((t + drift) * sr, 0, n - 1)
        i = np.minimum(src.astype(np.int64), n - 2)
        frac = (src - i).astype(np.float32)
        out[:, start:start + len(t)] = audio[:, i] * (1 - frac) + audio[:, i + 1] * frac
    return out


def pumping(n: int, sr: int, tempo_bpm: float, depth: float) -> np.ndarray:
    """Side-chain style gain: ducks on every beat (where the four-on-the-floor kick hits)
    and recovers over the beat."""
    beat = 60.0 / tempo_bpm
    phase = (np.arange(n) / sr) % beat / beat
    return (1.0 - depth * np.exp(-phase * 6.0)).astype(np.float32)


#: Tone of the whole mix by mood: darker for low-valence, quiet moods, brighter for lively ones.
MOOD_TONE = {"sad": ("lowpass", 2200), "melancholic": ("lowpass", 4000), "calm": ("lowpass", 5000),
             "happy": ("shelf", 3.0), "energetic": ("shelf", 2.0)}


def produce(style: str, tracks: dict[str, np.ndarray], sr: int, tempo_bpm: float, seed: int,
            extra: dict[str, np.ndarray] | None = None, mood: str | None = None) -> np.ndarray:
    """The stereo mix (not yet mastered)."""
    p = dict(STYLES[style].production)
    tone = MOOD_TONE.get(mood or "")
    if tone and tone[0] == "lowpass":
        p["lowpass"] = min(p.get("lowpass", 20000), tone[1])
    rng = np.random.default_rng(seed + 7919)
    n = max(t.shape[1] for t in [*tracks.values(), *(extra or {}).values()])

    def fit(x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x).astype(np.float32)
        x = np.repeat(x, 2, axis=0) if x.shape[0] == 1 else x[:2]
        return fit_length(x, n)

    parts = {name: fit(t) * _db(LEVELS.get(name, -6.0)) for name, t in tracks.items()}
    if "drums" in parts:
        chain = [pb.Compressor(threshold_db=-14, ratio=3, attack_ms=5, release_ms=80)]
        if p.get("drum_drive"):
            chain.append(pb.Distortion(drive_db=6 * p["drum_drive"]))
        parts["drums"] = pb.Pedalboard(chain)(parts["drums"], sr)
    for name in ("harmony", "pad"):
        if name in parts and p.get("highpass_harmony"):
            parts[name] = pb.HighpassFilter(p["highpass_harmony"])(parts[name], sr)
    if "harmony" in parts and p.get("drive"):
        parts["harmony"] = pb.Pedalboard([pb.Distortion(drive_db=12 * p["drive"]), pb.LowpassFilter(6000)])(
            parts["harmony"], sr) * _db(-4)
    wet = sum((parts[k] for k in ("harmony", "pad", "melody") if k in parts), np.zeros((2, n), np.float32))
    if p.get("reverb"):
        wet = pb.Reverb(room_size=0.3 + 0.6 * p["reverb"], wet_level=0.35 * p["reverb"], dry_level=1.0,
                        width=1.0)(wet, sr)[:, :n]
    if p.get("sidechain"):
        pump = pumping(n, sr, tempo_bpm, p["sidechain"])
        wet = wet * pump
        if "bass" in parts:
            parts["bass"] = parts["bass"] * pump
    mix = wet + sum((parts[k] for k in ("drums", "bass") if k in parts), np.zeros((2, n), np.float32))
    for name, t in (extra or {}).items():
        mix = mix + fit(t) * _db(LEVELS.get(name, 0.0))
    if p.get("crush"):
        mix = pb.Bitcrush(bit_depth=12)(mix, sr)
    if p.get("wobble"):
        mix = tape_wobble(mix, sr, p["wobble"])
    if p.get("lowpass"):
        mix = pb.LowpassFilter(p["lowpass"])(mix, sr)
    if tone and tone[0] == "shelf":
        mix = pb.HighShelfFilter(cutoff_frequency_hz=4000, gain_db=tone[1])(mix, sr)
    if p.get("vinyl"):
        mix = mix + vinyl_crackle(n, sr, p["vinyl"], rng)
    return mix.astype(np.float32)
