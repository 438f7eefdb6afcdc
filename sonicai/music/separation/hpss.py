"""The median-filter baseline: HPSS for drums, REPET-SIM for vocals, a bass crossover.

A legitimate fast fallback with no weights, and the reference point of the quality
benchmark (bench/bench_separation.py).
"""

from __future__ import annotations

import numpy as np

from sonicai.music.progress import Progress, report

from .base import SeparationEngine, as_2d

N_FFT = 2048
HOP = 512


def _repet_sim_mask(mag: np.ndarray, sr: int) -> np.ndarray:
    """Soft mask of the non-repeating (vocal) part (Rafii & Pardo 2012, as in librosa's example)."""
    import librosa

    width = int(librosa.time_to_frames(2.0, sr=sr, hop_length=HOP))
    width = max(2, min(width, mag.shape[1] // 3))
    filt = librosa.decompose.nn_filter(mag, aggregate=np.median, metric="cosine", width=width)
    filt = np.minimum(mag, filt)
    vocal = np.maximum(mag - filt, 0)
    return librosa.util.softmask(vocal, 2 * filt, power=2)


class HPSSEngine(SeparationEngine):
    name = "hpss"
    description = "Median-filter baseline (HPSS + REPET-SIM), no neural network: fast, rough."
    device_preference = "cpu"  # numpy and librosa: never on a GPU, whatever the worker's DEVICE

    def separate(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
        import librosa  # here, not at the top: the web processes list this engine and never run it

        from .split import bass_weights

        audio = as_2d(audio)
        n = audio.shape[1]
        spec = librosa.stft(audio, n_fft=N_FFT, hop_length=HOP)  # (ch, F, T)
        mag = np.abs(spec).mean(axis=0)
        report(progress, 0.2, "finding the repeating accompaniment")
        vocal_mask = _repet_sim_mask(mag, sr) if mag.shape[1] > 8 else np.zeros_like(mag)
        report(progress, 0.5, "splitting drums from harmony")
        h_mask, p_mask = librosa.decompose.hpss(mag, mask=True, margin=1.0)
        total = h_mask + p_mask + 1e-12
        h_mask, p_mask = h_mask / total, p_mask / total
        rest = 1.0 - vocal_mask
        freqs = bass_weights(sr, N_FFT)[:, None]
        masks = {"vocals": vocal_mask, "drums": rest * p_mask, "bass": rest * h_mask * freqs}
        out = {name: librosa.istft(spec * m, hop_length=HOP, n_fft=N_FFT, length=n).astype(np.float32)
               for name, m in masks.items()}
        out["other"] = (audio - out["vocals"] - out["drums"] - out["bass"]).astype(np.float32)
        report(progress, 1.0, "separated")
        return out
