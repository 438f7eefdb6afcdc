"""madmom's spectrogram front-end (madmom.audio.signal/stft/filters/spectrogram), in numpy.

The pretrained madmom networks were trained on exactly these features, so every detail
that changes a number is kept: frames centred on sample ``int(i * hop)`` with a float hop
and zeros beyond the signal, ``ceil(n / hop)`` frames, a float64 Hann window, the FFT
without its Nyquist bin rounded to complex64 before the magnitude, triangular log-spaced
filters normalised to unit area in float32, ``log10(mul * x + add)`` and the positive
difference to the frame ``diff_frames`` back (zero for the first ones).

Only what the beat and key networks use is here: offline framing (origin 0,
end='normal'), no circular shift, no FFT zero-padding.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

__all__ = [
    "SAMPLE_RATE",
    "diff_frames",
    "fft_frequencies",
    "filtered_spectrogram",
    "frequencies_to_bins",
    "log_filterbank",
    "log_frequencies",
    "log_spectrogram",
    "num_frames",
    "positive_diff",
    "to_mono_44k",
]

#: The rate every madmom model expects (its processors resample to it).
SAMPLE_RATE = 44100
A4 = 440.0
# Samples (frames x frame size) per FFT batch: bounds the float64 work buffer to 32 MB.
_CHUNK_SAMPLES = 1 << 22


def to_mono_44k(y: np.ndarray, sr: int) -> np.ndarray:
    """Average channels (``(channels, samples)`` or 1-D input) and resample to 44.1 kHz, float32."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0) if y.shape[0] > 1 else y[0]
    elif y.ndim != 1:
        raise ValueError(f"expected 1-D or (channels, samples) audio, got shape {y.shape}")
    if sr != SAMPLE_RATE:
        import soxr

        y = soxr.resample(y, sr, SAMPLE_RATE, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32)


def num_frames(num_samples: int, hop_size: float) -> int:
    """madmom's frame count for end='normal': frames while the centre sample lies in the signal."""
    return int(np.ceil(num_samples / float(hop_size)))


def fft_frequencies(num_fft_bins: int, sample_rate: float) -> np.ndarray:
    return np.fft.fftfreq(num_fft_bins * 2, 1.0 / sample_rate)[:num_fft_bins]


def log_frequencies(bands_per_octave: int, fmin: float, fmax: float, fref: float = A4) -> np.ndarray:
    """Frequencies ``fref * 2**(k / bands_per_octave)`` within [fmin, fmax]."""
    left = np.floor(np.log2(float(fmin) / fref) * bands_per_octave)
    right = np.ceil(np.log2(float(fmax) / fref) * bands_per_octave)
    freqs = fref * 2.0 ** (np.arange(left, right) / float(bands_per_octave))
    freqs = freqs[np.searchsorted(freqs, fmin) :]
    return freqs[: np.searchsorted(freqs, fmax, "right")]


def frequencies_to_bins(frequencies: np.ndarray, bin_frequencies: np.ndarray, unique: bool) -> np.ndarray:
    """Nearest bin of each frequency; a tie goes to the upper bin (madmom's rule)."""
    indices = np.clip(bin_frequencies.searchsorted(frequencies), 1, len(bin_frequencies) - 1)
    left = bin_frequencies[indices - 1]
    right = bin_frequencies[indices]
    indices -= frequencies - left < right - frequencies
    return np.unique(indices) if unique else indices


def _triangle(start: int, center: int, stop: int, norm: bool) -> np.ndarray:
    center -= start
    stop -= start
    data = np.zeros(stop)
    data[:center] = np.linspace(0, 1, center, endpoint=False)
    data[center:] = np.linspace(1, 0, stop - center, endpoint=False)
    data = data.astype(np.float32)
    if norm:
        data /= np.sum(data)  # in float32, as madmom's Filter does
    return data


def log_filterbank(
    num_fft_bins: int,
    sample_rate: float = SAMPLE_RATE,
    bands_per_octave: int = 12,
    fmin: float = 30.0,
    fmax: float = 17000.0,
    fref: float = A4,
    norm_filters: bool = True,
    unique_filters: bool = True,
) -> np.ndarray:
    """(num_fft_bins, num_bands) float32 overlapping triangular filters on a log frequency axis."""
    bins = frequencies_to_bins(
        log_frequencies(bands_per_octave, fmin, fmax, fref), fft_frequencies(num_fft_bins, sample_rate), unique_filters
    )
    if len(bins) < 3:
        raise ValueError("not enough bins to create triangular filters")
    bank = np.zeros((num_fft_bins, len(bins) - 2))
    for band, (start, center, stop) in enumerate(zip(bins[:-2], bins[1:-1], bins[2:], strict=True)):
        start, center, stop = int(start), int(center), int(stop)
        if stop - start < 2:
            # A filter squeezed to under two bins degenerates to a single unit bin.
            center, stop = start, start + 1
        filt = _triangle(start, center, stop, norm_filters)
        stop = min(stop, num_fft_bins)
        bank[start:stop, band] = filt[: stop - start]
    return bank.astype(np.float32)


def filtered_spectrogram(
    x: np.ndarray, frame_size: int, hop_size: float, filterbank: np.ndarray | None = None
) -> np.ndarray:
    """|STFT| of the madmom frames of mono float audio ``x``, optionally times ``filterbank``.

    Returns (num_frames, frame_size // 2) or (num_frames, num_bands) float32.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError("expected mono audio")
    n = num_frames(len(x), hop_size)
    half = frame_size // 2
    # Frame i covers [int(i*hop) - half, +frame_size); zero-pad so every frame is an in-bounds slice.
    padded = np.zeros(len(x) + half + frame_size, dtype=np.float32)
    padded[half : half + len(x)] = x
    starts = (np.arange(n) * float(hop_size)).astype(np.int64)
    integer_hop = float(hop_size).is_integer()
    windows = np.lib.stride_tricks.sliding_window_view(padded, frame_size)
    window = np.hanning(frame_size)  # float64, so the windowed frame and FFT are float64 as in madmom
    if filterbank is None:
        lo, hi, bank = 0, half, None
    else:
        # Only the bins some filter covers need a magnitude.
        used = np.flatnonzero(filterbank.any(axis=1))
        lo, hi = (int(used[0]), int(used[-1]) + 1) if len(used) else (0, 1)
        bank = np.ascontiguousarray(filterbank[lo:hi])
    out = np.empty((n, half if bank is None else bank.shape[1]), dtype=np.float32)
    chunk = max(1, _CHUNK_SAMPLES // frame_size)
    buf = np.empty((min(chunk, n), frame_size))
    for i in range(0, n, chunk):
        m = min(chunk, n - i)
        if integer_hop:
            frames = windows[starts[i] : starts[i] + (m - 1) * int(hop_size) + 1 : int(hop_size)]
        else:
            frames = windows[starts[i : i + m]]
        np.multiply(frames, window, out=buf[:m])
        spec = np.abs(scipy.fft.rfft(buf[:m], axis=1)[:, lo:hi].astype(np.complex64))
        out[i : i + m] = spec if bank is None else spec @ bank
    return out


def log_spectrogram(spec: np.ndarray, mul: float = 1.0, add: float = 1.0) -> np.ndarray:
    """``log10(mul * spec + add)`` in float32."""
    out = np.array(spec, dtype=np.float32)
    out *= mul
    out += add
    return np.log10(out, out=out)


def diff_frames(diff_ratio: float, hop_size: float, frame_size: int) -> int:
    """Frames back to the one whose Hann window overlaps the current one at ``diff_ratio`` of its height."""
    window = np.hanning(frame_size)
    sample = int(np.argmax(window > float(diff_ratio) * window.max()))
    # Python's round (half to even), as madmom uses.
    return int(max(1, round((frame_size / 2 - sample) / hop_size)))


def positive_diff(spec: np.ndarray, lag: int) -> np.ndarray:
    """``max(spec[t] - spec[t - lag], 0)``, zero for the first ``lag`` frames."""
    diff = np.zeros_like(spec)
    if lag < len(spec):
        np.subtract(spec[lag:], spec[:-lag], out=diff[lag:])
    return np.maximum(diff, 0, out=diff)
