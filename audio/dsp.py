"""Waveform peaks and spectrogram images: plain functions on numpy arrays."""

from __future__ import annotations

import io

import numpy as np


def waveform_peaks(audio: np.ndarray, sr: int, n_peaks: int = 2000) -> dict:
    """Per-channel min/max envelopes at ``n_peaks`` points, the format the studio's
    waveform player draws without decoding the file in the browser."""
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    n = audio.shape[1]
    n_peaks = max(1, min(n_peaks, n))
    edges = np.linspace(0, n, n_peaks + 1).astype(np.int64)
    maxima = np.maximum.reduceat(audio, edges[:-1], axis=1)
    minima = np.minimum.reduceat(audio, edges[:-1], axis=1)
    return {
        "duration": n / sr,
        "sample_rate": sr,
        "channels": audio.shape[0],
        "length": int(n_peaks),
        "max": np.round(maxima, 4).tolist(),
        "min": np.round(minima, 4).tolist(),
        # wavesurfer's `peaks` option: one absolute envelope per channel
        "peaks": np.round(np.maximum(np.abs(maxima), np.abs(minima)), 4).tolist(),
    }


# Anchor colours of a perceptually ordered dark-to-bright map (black, purple, red,
# orange, pale yellow). Matplotlib is not a dependency; 5 anchors interpolated in
# RGB are enough for a readable spectrogram.
_ANCHORS = np.array(
    [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]], dtype=np.float32
)


def _colormap(values: np.ndarray) -> np.ndarray:
    pos = np.clip(values, 0.0, 1.0) * (len(_ANCHORS) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_ANCHORS) - 2)
    frac = (pos - lo)[..., None]
    rgb = _ANCHORS[lo] * (1 - frac) + _ANCHORS[lo + 1] * frac
    return rgb.astype(np.uint8)


def spectrogram_png(audio: np.ndarray, sr: int, width: int = 1200, height: int = 256, top_db: float = 80.0) -> bytes:
    """A mel spectrogram (low frequencies at the bottom) as PNG bytes."""
    import librosa
    from PIL import Image

    y = np.asarray(audio, dtype=np.float32)
    y = y.mean(axis=0) if y.ndim == 2 else y
    target_sr = min(sr, 22050)
    if sr != target_sr:
        y = librosa.resample(y, orig_sr=sr, target_sr=target_sr, res_type="soxr_hq")
    hop = max(256, int(len(y) / width) // 64 * 64 or 256)
    mel = librosa.feature.melspectrogram(
        y=y, sr=target_sr, n_fft=2048, hop_length=hop, n_mels=height, fmax=target_sr / 2
    )
    db = librosa.power_to_db(mel, ref=np.max(mel) if mel.max() > 0 else 1.0, top_db=top_db)
    norm = (db + top_db) / top_db
    rgb = _colormap(norm[::-1])
    img = Image.fromarray(rgb, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()
