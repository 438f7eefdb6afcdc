"""Frame-level timbre and rhythm descriptors summarised into a JSON-ready dict.

All spectral features share one magnitude STFT (and MFCCs the mel spectrogram built
from it), so the pipeline can pass in what it already computed for tempo.
"""

from __future__ import annotations

import numpy as np

N_FFT = 2048
HOP = 512
N_MFCC = 13
MAX_HEATMAP_FRAMES = 64

FEATURE_KEYS = (
    "mfcc_mean", "mfcc_std", "mfcc_frames", "chroma_mean",
    "spectral_centroid_mean", "spectral_centroid_std", "spectral_bandwidth_mean", "spectral_bandwidth_std",
    "spectral_rolloff_mean", "spectral_rolloff_std", "spectral_flatness_mean", "spectral_flatness_std",
    "zcr_mean", "zcr_std", "rms_mean", "rms_std", "spectral_contrast_mean", "onset_rate",
)


def _floats(x: np.ndarray) -> list:
    """Nested lists of plain Python floats, with non-finite values replaced by 0."""
    return np.round(np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0), 5).tolist()


def _downsample_frames(m: np.ndarray, max_frames: int) -> np.ndarray:
    """Average consecutive frames into at most ``max_frames`` columns (a heatmap, not a resampler)."""
    n = m.shape[1]
    if n <= max_frames:
        return m
    edges = np.linspace(0, n, max_frames + 1).astype(int)
    return np.stack([m[:, a:b].mean(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=1)


def features_from_spectra(y: np.ndarray, sr: int, mag: np.ndarray, mel_power: np.ndarray,
                          onset_env: np.ndarray | None = None) -> dict:
    """Features from precomputed |STFT| (n_fft 2048, hop 512) and mel power spectrogram."""
    import librosa

    if mag.shape[1] == 0:
        raise ValueError("audio too short for feature extraction")
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel_power), sr=sr, n_mfcc=N_MFCC)
    power = mag**2
    chroma = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=N_FFT)
    centroid = librosa.feature.spectral_centroid(S=mag, sr=sr, n_fft=N_FFT)[0]
    bandwidth = librosa.feature.spectral_bandwidth(S=mag, sr=sr, n_fft=N_FFT, centroid=centroid[None, :])[0]
    rolloff = librosa.feature.spectral_rolloff(S=mag, sr=sr, n_fft=N_FFT, roll_percent=0.85)[0]
    flatness = librosa.feature.spectral_flatness(S=mag)[0]
    contrast = librosa.feature.spectral_contrast(S=mag, sr=sr, n_fft=N_FFT)
    rms = librosa.feature.rms(S=mag, frame_length=N_FFT)[0]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP)[0]
    if onset_env is None:
        onset_env = librosa.onset.onset_strength(S=librosa.power_to_db(mel_power), sr=sr)
    onsets = librosa.onset.onset_detect(onset_envelope=onset_env, sr=sr, hop_length=HOP, units="frames")
    duration = len(y) / sr
    out: dict = {
        "mfcc_mean": _floats(mfcc.mean(axis=1)),
        "mfcc_std": _floats(mfcc.std(axis=1)),
        "mfcc_frames": _floats(_downsample_frames(mfcc, MAX_HEATMAP_FRAMES)),
        "chroma_mean": _floats(chroma.mean(axis=1)),
    }
    for name, v in (("spectral_centroid", centroid), ("spectral_bandwidth", bandwidth),
                    ("spectral_rolloff", rolloff), ("spectral_flatness", flatness), ("zcr", zcr), ("rms", rms)):
        out[f"{name}_mean"] = _floats(v.mean())
        out[f"{name}_std"] = _floats(v.std())
    out["spectral_contrast_mean"] = _floats(contrast.mean(axis=1))
    out["onset_rate"] = round(float(len(onsets) / duration), 4) if duration > 0 else 0.0
    return out


def extract_features(y: np.ndarray, sr: int) -> dict:
    """Timbre/rhythm descriptors of a mono signal; see FEATURE_KEYS. Values are plain floats/lists."""
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError("extract_features expects mono 1-D audio")
    mag = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    mel = librosa.feature.melspectrogram(S=mag**2, sr=sr, n_mels=128)
    return features_from_spectra(y, sr, mag, mel)
