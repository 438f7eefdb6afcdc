"""The median-filter baseline: HPSS for drums, REPET-SIM for vocals, a bass crossover.

A legitimate fast fallback with no weights, and the reference point of the quality
benchmark (bench/bench_separation.py).
"""

from __future__ import annotations

import numpy as np

from sonicai.music.progress import Progress, report, within

from .base import SeparationEngine, as_2d

N_FFT = 2048
HOP = 512
#: Audio above this rate is separated at it: the masks' cost grows with the frames per second (a 1-min 96-kHz
#: file took 90 s, as long as a 2-min song at 44.1 kHz), and nothing above 22 kHz tells one stem from another.
MAX_RATE = 44100


#: Both masks are computed block by block, blocks of about this many seconds. REPET-SIM over a whole song
#: is quadratic in its length (73 s of a 96-s separation for a 195-s song on 2 cores; by that growth about
#: 11 minutes for a 10-minute one) and the progress bar stood still all that time, a cancel waiting with it.
#: A minute holds many repeats of a song's bars, which is what the vocal mask needs; on the three held-out
#: full-length multitracks (docs/stems.md) the blocks gave the vocals 3.46 dB against 3.01 over whole songs.
BLOCK_SECONDS = 60.0
#: Half the width of librosa's HPSS median filters (31 frames) and one more: each HPSS block is filtered with
#: this many frames of its neighbours on each side, so its masks are those of one pass over the whole song.
HPSS_CONTEXT = 16


def _blocks(n_frames: int, sr: int) -> list[tuple[int, int]]:
    """(start, end) frames of near-equal blocks of about BLOCK_SECONDS; a song up to 1.5 blocks is one."""
    import librosa

    per_block = int(librosa.time_to_frames(BLOCK_SECONDS, sr=sr, hop_length=HOP))
    edges = np.linspace(0, n_frames, max(1, round(n_frames / per_block)) + 1).astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))


def _repet_sim_mask(mag: np.ndarray, sr: int, progress: Progress | None = None) -> np.ndarray:
    """Soft mask of the non-repeating (vocal) part (Rafii & Pardo 2012, as in librosa's example); each block's
    frames are compared with that block's frames."""
    import librosa

    mask = np.zeros_like(mag)
    blocks = _blocks(mag.shape[1], sr)
    for i, (start, end) in enumerate(blocks):
        block = mag[:, start:end]
        if block.shape[1] > 8:
            width = int(librosa.time_to_frames(2.0, sr=sr, hop_length=HOP))
            width = max(2, min(width, block.shape[1] // 3))
            filt = librosa.decompose.nn_filter(block, aggregate=np.median, metric="cosine", width=width)
            filt = np.minimum(block, filt)
            vocal = np.maximum(block - filt, 0)
            mask[:, start:end] = librosa.util.softmask(vocal, 2 * filt, power=2)
        report(progress, (i + 1) / len(blocks), "finding the repeating accompaniment")
    return mask


def _hpss_masks(mag: np.ndarray, sr: int, progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive soft masks (librosa's HPSS), summing to 1."""
    import librosa

    harmonic, percussive = np.empty_like(mag), np.empty_like(mag)
    blocks = _blocks(mag.shape[1], sr)
    for i, (start, end) in enumerate(blocks):
        lo, hi = max(0, start - HPSS_CONTEXT), min(mag.shape[1], end + HPSS_CONTEXT)
        h, p = librosa.decompose.hpss(mag[:, lo:hi], mask=True, margin=1.0)
        harmonic[:, start:end], percussive[:, start:end] = h[:, start - lo:end - lo], p[:, start - lo:end - lo]
        report(progress, (i + 1) / len(blocks), "splitting drums from harmony")
    total = harmonic + percussive + 1e-12
    return harmonic / total, percussive / total


class HPSSEngine(SeparationEngine):
    name = "hpss"
    description = "Median-filter baseline (HPSS + REPET-SIM), no neural network: fast, rough."
    device_preference = "cpu"  # numpy and librosa: never on a GPU, whatever the worker's DEVICE

    def separate(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
        import librosa  # here, not at the top: the web processes list this engine and never run it

        from .split import bass_weights

        audio = as_2d(audio)
        if sr > MAX_RATE:
            return self.separate_at(MAX_RATE, audio, sr, progress)
        n = audio.shape[1]
        spec = librosa.stft(audio, n_fft=N_FFT, hop_length=HOP)  # (ch, F, T)
        mag = np.abs(spec).mean(axis=0)
        report(progress, 0.05, "finding the repeating accompaniment")
        vocal_mask = _repet_sim_mask(mag, sr, within(progress, 0.05, 0.65))
        h_mask, p_mask = _hpss_masks(mag, sr, within(progress, 0.65, 0.9))
        rest = 1.0 - vocal_mask
        freqs = bass_weights(sr, N_FFT)[:, None]
        masks = {"vocals": vocal_mask, "drums": rest * p_mask, "bass": rest * h_mask * freqs}
        out = {name: librosa.istft(spec * m, hop_length=HOP, n_fft=N_FFT, length=n).astype(np.float32)
               for name, m in masks.items()}
        out["other"] = (audio - out["vocals"] - out["drums"] - out["bass"]).astype(np.float32)
        report(progress, 1.0, "separated")
        return out
