"""musicnn's input representation: 16 kHz log-compressed mel spectrogram cut into 3-second patches."""

from __future__ import annotations

import librosa
import numpy as np

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
# librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1, as musicnn computes it.
PATCH_FRAMES = 187

_F16_MAX = float(np.finfo(np.float16).max)


def to_mono_16k(y: np.ndarray, sr: int) -> np.ndarray:
    """Mix down (channels, samples) or 1-D audio and resample to 16 kHz with librosa's default (soxr_hq)."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0)
    elif y.ndim != 1:
        raise ValueError(f"expected 1-D or (channels, samples) audio, got shape {y.shape}")
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    return np.ascontiguousarray(y, dtype=np.float32)


def musicnn_logmel(y16k: np.ndarray) -> np.ndarray:
    """(frames, 96) float32 log10(10000 * mel + 1), numerically as musicnn's ``batch_data`` computes it.

    musicnn casts the mel power to float16 and applies the log in float16. We keep that rounding so that
    outputs match the original, but the original's ``10000 * x`` overflows float16 (to inf, then NaN tags)
    for loud tonal bins with mel power > 6.55; there we fall back to float32 arithmetic instead.
    """
    mel = librosa.feature.melspectrogram(y=y16k, sr=SR, hop_length=HOP, n_fft=N_FFT, n_mels=N_MELS).T
    mel16 = np.minimum(mel, _F16_MAX).astype(np.float16)
    with np.errstate(over="ignore"):
        rep16 = np.log10(np.float16(10000) * mel16 + np.float16(1))
    rep = rep16.astype(np.float32)
    bad = ~np.isfinite(rep)
    if bad.any():
        rep[bad] = np.log10(10000.0 * mel16[bad].astype(np.float32) + 1.0)
    return rep


def make_patches(rep: np.ndarray, n_frames: int = PATCH_FRAMES, hop_frames: int | None = None) -> np.ndarray:
    """Cut (frames, mels) into (n_patches, n_frames, mels) windows starting every ``hop_frames`` frames.

    Like musicnn, trailing frames that do not fill a whole patch are dropped. Clips shorter than one patch
    are repeat-padded (musicnn's training config uses ``pad_short: repeat-pad``; the original tagger would
    instead fail on them).
    """
    hop_frames = n_frames if hop_frames is None else hop_frames
    if hop_frames < 1:
        raise ValueError("hop_frames must be >= 1")
    if rep.shape[0] == 0:
        raise ValueError("audio is too short to compute a spectrogram")
    if rep.shape[0] < n_frames:
        reps = int(np.ceil(n_frames / rep.shape[0]))
        rep = np.tile(rep, (reps, 1))[:n_frames]
    starts = range(0, rep.shape[0] - n_frames + 1, hop_frames)
    return np.stack([rep[s : s + n_frames] for s in starts]).astype(np.float32)
