"""Mastering to a loudness target with a true-peak ceiling.

Gentle glue compression (pedalboard), gain to the integrated-loudness target
(pyloudnorm, ITU-R BS.1770), then a look-ahead peak limiter on the 4x-oversampled
signal so inter-sample peaks stay under the ceiling. The limiter is written here
because pedalboard's Limiter normalises its output to 0 dBFS and has no true-peak
mode. Gain and limiting repeat until the loudness lands within 0.2 LU of target.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d
from scipy.signal import lfilter, resample_poly


def loudness_lufs(audio: np.ndarray, sr: int) -> float:
    audio = np.atleast_2d(audio)
    value = pyloudnorm.Meter(sr).integrated_loudness(audio.T.astype(np.float64))
    return float(value) if np.isfinite(value) else -120.0


#: The 4x-oversampled signal is made this many input samples at a time, with PEAK_CONTEXT samples of the
#: neighbours on each side (resample_poly's filter reaches 10 input samples), so the envelope is that of one
#: pass. In one pass it took 2 x 4 x 8 bytes a sample, twice over: a 10-minute genre remix's mastering
#: reached 9.5 GB (the long-file probe; 30 minutes ran a 24-GB machine out of memory).
PEAK_BLOCK = 1 << 20
PEAK_CONTEXT = 64


def peak_envelope(audio: np.ndarray) -> np.ndarray:
    """Per input sample, the largest magnitude of the 4x-oversampled signal over its 4 phases and all
    channels (BS.1770-4 annex 2's true peak, sample by sample)."""
    audio = np.atleast_2d(audio)
    n = audio.shape[1]
    env = np.empty(n, dtype=np.float64)
    for start in range(0, n, PEAK_BLOCK):
        end = min(n, start + PEAK_BLOCK)
        lo, hi = max(0, start - PEAK_CONTEXT), min(n, end + PEAK_CONTEXT)
        up = np.abs(resample_poly(audio[:, lo:hi], 4, 1, axis=1)).max(axis=0)
        env[start:end] = up[4 * (start - lo):4 * (end - lo)].reshape(-1, 4).max(axis=1)
    return env


def true_peak(audio: np.ndarray) -> float:
    """Linear true peak (4x oversampling, as BS.1770-4 annex 2)."""
    env = peak_envelope(audio)
    return float(env.max()) if env.size else 0.0


#: Where a render that went over full scale is turned down to (just under 0 dBFS).
FULL_SCALE_HEADROOM = 0.999


def under_full_scale(audio: np.ndarray) -> tuple[np.ndarray, float]:
    """``audio`` turned down as a whole so its peak sits just under full scale, if it went over; and the gain
    applied in dB (0 if none). Every 16-bit or MP3 export would clip the overs; one gain keeps the balance
    and the dynamics, where a limiter would change the sound the user chose."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 1.0:
        return audio, 0.0
    gain = FULL_SCALE_HEADROOM / peak
    return (audio * gain).astype(audio.dtype, copy=False), round(20.0 * float(np.log10(gain)), 2)


def limit(audio: np.ndarray, sr: int, ceiling_db: float = -1.0, lookahead_ms: float = 5.0,
          release_ms: float = 80.0) -> np.ndarray:
    """Look-ahead brickwall limiter on the true-peak envelope, linked across channels."""
    audio = np.atleast_2d(audio).astype(np.float32)  # float64 copies of a whole song cost 0.4 GB each
    ceiling = 10 ** (ceiling_db / 20)
    env = peak_envelope(audio)
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    look = max(1, int(sr * lookahead_ms / 1000))
    # the gain reaches its minimum `look` samples before the peak: a centred min-filter, delayed
    gain = minimum_filter1d(need, size=2 * look + 1, mode="nearest")
    alpha = np.exp(-1.0 / (sr * release_ms / 1000))
    # release smoothing that never lets the gain rise above what the peaks need
    smoothed = lfilter([1 - alpha], [1, -alpha], gain, zi=[gain[0] * alpha])[0]
    gain = np.minimum(gain, smoothed).astype(np.float32)
    out = audio * gain
    # a last safety pass for the few overshoots the smoothing leaves
    peak = true_peak(out)
    if peak > ceiling:
        out *= ceiling / peak
    return out.astype(np.float32)


def master(audio: np.ndarray, sr: int, target_lufs: float = -14.0, ceiling_dbtp: float = -1.0) -> np.ndarray:
    """Loudness-normalised, limited (channels, n) float32 audio."""
    import pedalboard

    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    if not np.any(audio):
        return audio
    glue = pedalboard.Pedalboard([pedalboard.Compressor(threshold_db=-20, ratio=2.0, attack_ms=15, release_ms=150)])
    out = glue(audio, sr)
    for _ in range(4):
        current = loudness_lufs(out, sr)
        if current <= -100:
            break
        out = limit(out * 10 ** ((target_lufs - current) / 20), sr, ceiling_dbtp)
        if abs(loudness_lufs(out, sr) - target_lufs) < 0.2:
            break
    return out.astype(np.float32)
