"""Studio-grade time stretching through Rubber Band (pedalboard's binding).

Rubber Band's R3 engine keeps transients crisp and pitch untouched; we add the bookkeeping a
remix needs: tempo maths (percent or target BPM), an exact output length, and beat-grid warping
(a piecewise time map, so a drifting performance lands on a fixed grid).
"""

from __future__ import annotations

import numpy as np

from sonicai.music.audio_io import as_channels, fit_length, restore
from sonicai.music.errors import MusicInputError

PERCENT_RANGE = (-50.0, 100.0)
BPM_RANGE = (20.0, 300.0)
#: Widest speed change we let Rubber Band do in one call; beyond it artefacts dominate.
RATE_RANGE = (0.25, 4.0)


class StretchError(MusicInputError):
    """Invalid tempo or stretch request."""


def target_bpm_range(source_bpm: float | None) -> tuple[float, float]:
    """The target tempi a song at ``source_bpm`` can be set to: ``BPM_RANGE`` within ``RATE_RANGE`` of its tempo."""
    if not source_bpm or not np.isfinite(source_bpm) or source_bpm <= 0:
        return BPM_RANGE
    return max(BPM_RANGE[0], source_bpm * RATE_RANGE[0]), min(BPM_RANGE[1], source_bpm * RATE_RANGE[1])


def check_target_bpm(target_bpm: float, source_bpm: float) -> None:
    """A target tempo a song at ``source_bpm`` cannot reach, refused in a musician's words."""
    lo, hi = target_bpm_range(source_bpm)
    if not lo - 1e-6 <= float(target_bpm) <= hi + 1e-6:
        raise StretchError(f"From {source_bpm:.0f} BPM the tempo can go to {lo:.0f}-{hi:.0f} BPM (a quarter to four "
                           f"times its speed); {float(target_bpm):g} BPM is out of reach.")


def tempo_ratio(
    percent: float | None = None, target_bpm: float | None = None, source_bpm: float | None = None
) -> float:
    """Speed ratio (>1 faster) from a percentage change or from a target BPM and the detected source BPM."""
    if (percent is None) == (target_bpm is None):
        raise StretchError("give exactly one of percent or target_bpm")
    if percent is not None:
        percent = float(percent)
        if not np.isfinite(percent) or not PERCENT_RANGE[0] <= percent <= PERCENT_RANGE[1]:
            raise StretchError(f"percent must be between {PERCENT_RANGE[0]:g} and {PERCENT_RANGE[1]:g}, got {percent}")
        return 1.0 + percent / 100.0
    target_bpm = float(target_bpm)
    if not np.isfinite(target_bpm) or not BPM_RANGE[0] <= target_bpm <= BPM_RANGE[1]:
        raise StretchError(f"target_bpm must be between {BPM_RANGE[0]:g} and {BPM_RANGE[1]:g}, got {target_bpm}")
    if source_bpm is None or not np.isfinite(source_bpm) or source_bpm <= 0:
        raise StretchError("no steady beat was found in this song, so it cannot be set to a BPM; change its tempo "
                           "by a percentage instead")
    check_target_bpm(target_bpm, float(source_bpm))
    return target_bpm / float(source_bpm)


def _check_rate(rate: float) -> float:
    rate = float(rate)
    if not np.isfinite(rate) or not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise StretchError(f"stretch rate must be between {RATE_RANGE[0]:g} and {RATE_RANGE[1]:g}, got {rate}")
    return rate


def time_stretch(audio: np.ndarray, sr: int, rate: float, preserve_formants: bool = False) -> np.ndarray:
    """Change speed by ``rate`` (>1 faster) keeping pitch; output has exactly ``round(n / rate)`` samples."""
    import pedalboard

    rate = _check_rate(rate)
    x, was_mono = as_channels(audio)
    out_len = int(round(x.shape[1] / rate))
    if rate == 1.0:
        return restore(x.copy(), was_mono)
    y = pedalboard.time_stretch(
        x, float(sr), stretch_factor=rate, pitch_shift_in_semitones=0.0, high_quality=True,
        preserve_formants=bool(preserve_formants),
    )
    # Rubber Band's length can be off by a few samples; remix jobs need sample-exact durations.
    return restore(fit_length(np.asarray(y, dtype=np.float32), out_len), was_mono)


def warp_to_grid(
    audio: np.ndarray, sr: int, src_times: np.ndarray, dst_times: np.ndarray, out_length: int | None = None,
    preserve_formants: bool = False,
) -> np.ndarray:
    """Piecewise time-warp so that time ``src_times[k]`` in the input lands at ``dst_times[k]`` in the output.

    Both arrays are increasing anchor times in seconds (e.g. detected beats -> a fixed new grid). The
    output's time axis is the ``dst`` axis: before the first and after the last anchor the nearest
    segment's rate continues, material that would land before 0 s is dropped and a gap before the first
    anchor stays silent. Each segment is stretched separately with Rubber Band and joined with a short
    equal-gain crossfade; cutting at the anchors keeps drift from accumulating (one time-varying call
    drifts by tens of milliseconds). Default length: up to where the input's end lands.
    """
    import pedalboard

    x, was_mono = as_channels(audio)
    n = x.shape[1]
    src = np.asarray(src_times, dtype=np.float64)
    dst = np.asarray(dst_times, dtype=np.float64)
    if src.ndim != 1 or src.shape != dst.shape or len(src) < 2:
        raise StretchError("src_times and dst_times must be equal-length 1-D arrays with at least two anchors")
    if np.any(np.diff(src) <= 0) or np.any(np.diff(dst) <= 0):
        raise StretchError("anchor times must be strictly increasing")
    r0 = (dst[1] - dst[0]) / (src[1] - src[0])
    r1 = (dst[-1] - dst[-2]) / (src[-1] - src[-2])
    dur = n / sr
    keep = (src > 0) & (src < dur)
    if keep.sum() == 0:
        raise StretchError("no anchor falls inside the audio")
    src, dst = src[keep], dst[keep]
    src = np.concatenate([[0.0], src, [dur]])
    dst = np.concatenate([[dst[0] - src[1] * r0], dst, [dst[-1] + (dur - src[-2]) * r1]])

    total = max(1, int(round(dst[-1] * sr))) if out_length is None else int(out_length)
    out = np.zeros((x.shape[0], total), dtype=np.float32)
    half = int(0.005 * sr)  # half of the 10 ms crossfade at each joint
    ctx = int(0.05 * sr)  # context each side so Rubber Band's analysis window is primed at the cut
    src_idx = np.round(src * sr).astype(int)
    dst_idx = np.round(dst * sr).astype(int)
    last = len(src) - 2
    for k in range(last + 1):
        a, b = src_idx[k], src_idx[k + 1]
        seg_out = dst_idx[k + 1] - dst_idx[k]
        if b - a < 16 or seg_out < 16 or dst_idx[k + 1] <= 0 or dst_idx[k] >= total:
            continue
        rate = float(np.clip((b - a) / seg_out, *RATE_RANGE))
        lo, hi = max(0, a - ctx), min(n, b + ctx)
        y = pedalboard.time_stretch(
            x[:, lo:hi], float(sr), stretch_factor=rate, high_quality=True, preserve_formants=bool(preserve_formants)
        )
        pre = int(round((a - lo) / rate))  # where input sample ``a`` sits in the stretched chunk
        head = min(half, pre) if k > 0 else 0
        tail = half if k < last else 0
        piece = y[:, pre - head: pre + seg_out + tail]
        w = np.ones(piece.shape[1], dtype=np.float32)
        if head:
            w[: 2 * head] = np.linspace(0.0, 1.0, 2 * head, dtype=np.float32)[: min(2 * head, len(w))]
        if tail and piece.shape[1] >= 2 * tail:
            w[-2 * tail:] = np.minimum(w[-2 * tail:], np.linspace(1.0, 0.0, 2 * tail, dtype=np.float32))
        at = dst_idx[k] - head
        if at < 0:
            piece, w, at = piece[:, -at:], w[-at:], 0
        end = min(total, at + piece.shape[1])
        if end > at:
            out[:, at:end] += piece[:, : end - at] * w[: end - at]
    return restore(fit_length(out, total), was_mono)
