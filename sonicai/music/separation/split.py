"""Splitting Spleeter's accompaniment into drums, bass and other.

Spleeter's pretrained 2stems network gives vocals and accompaniment. A small U-Net of
our own (``split_net.py``, trained by ``bench/train_split_net.py``) reads the
accompaniment and Spleeter's vocals in the STFT domain (4096-point frames, hop 1024)
and gives soft masks for drums, bass, other and the voice that Spleeter left in the
accompaniment. Drums, bass and voice are the masked accompaniment inverted; *other*
is the accompaniment minus those three in the time domain, so the parts sum to the
accompaniment exactly.

``bass_weights`` is the HPSS baseline's fixed low-pass crossover (``hpss.py``).
"""

from __future__ import annotations

import numpy as np
import torch

from sonicai.music.progress import Progress, report

from . import split_net

N_FFT = 4096
HOP = 1024
SAMPLE_RATE = 44100  # the split network's rate
#: Share of the median-filter/comb masks in the final drums/bass/other masks (see docs/stems.md).
PRIOR_WEIGHT = 0.25
SUB_HZ = 90.0
BASS_MAX_HZ = 1400.0
BASS_MIDI = np.arange(24, 56)
BASS_HARMONICS = 8
# the HPSS baseline's fixed bass crossover
BASS_LOW_HZ = 120.0
BASS_HIGH_HZ = 260.0


def bass_weights(sr: int, n_fft: int = N_FFT) -> np.ndarray:
    """A fixed low-pass crossover: 1 up to BASS_LOW_HZ, raised cosine to 0 at BASS_HIGH_HZ."""
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    w = np.zeros_like(freqs)
    w[freqs <= BASS_LOW_HZ] = 1.0
    band = (freqs > BASS_LOW_HZ) & (freqs < BASS_HIGH_HZ)
    w[band] = 0.5 * (1 + np.cos(np.pi * (freqs[band] - BASS_LOW_HZ) / (BASS_HIGH_HZ - BASS_LOW_HZ)))
    return w.astype(np.float32)


def bass_comb(harm: torch.Tensor, sr: int, n_fft: int = N_FFT) -> torch.Tensor:
    """Per-bin share (0..1) of the harmonic magnitude ``harm`` (F, T) that belongs to the bass line: a comb
    of soft peaks on the harmonics of the most salient bass fundamental of each frame."""
    bin_hz = sr / n_fft
    n_bins, n_frames = harm.shape
    f0s = 440.0 * 2 ** ((BASS_MIDI - 69) / 12)
    ks = np.arange(1, BASS_HARMONICS + 1)
    centres = f0s[:, None] * ks[None, :] / bin_hz  # (candidates, harmonics), in bins
    idx = torch.from_numpy(np.clip(np.rint(centres), 0, n_bins - 1).astype(np.int64))
    # the max over +-1 bin tolerates the coarse (10.8 Hz) bin spacing at low notes
    local = torch.nn.functional.max_pool1d(harm.T[:, None, :], 3, 1, 1)[:, 0, :].T  # (F, T)
    weights = torch.from_numpy((0.85 ** (ks - 1)).astype(np.float32))
    valid = torch.from_numpy((centres * bin_hz < BASS_MAX_HZ).astype(np.float32)) * weights
    salience = (local[idx.reshape(-1)].reshape(*idx.shape, n_frames) * valid[..., None]).sum(dim=1)  # (C, T)
    f0 = torch.from_numpy(f0s.astype(np.float32))[salience.argmax(dim=0)]  # (T,)
    freqs = torch.arange(n_bins, dtype=torch.float32) * bin_hz
    ratio = freqs[:, None] / f0[None, :]  # (F, T): harmonic number of each bin
    nearest = ratio.round().clamp(min=1)
    dist_bins = (ratio - nearest).abs() * f0[None, :] / bin_hz
    comb = torch.clamp(1.0 - dist_bins / 1.5, min=0.0)  # triangular peaks 1.5 bins wide
    comb = comb * (nearest <= BASS_HARMONICS) * (freqs[:, None] < BASS_MAX_HZ)
    comb = comb * (0.85 ** (nearest - 1)).clamp(min=0.35)
    sub = (freqs < SUB_HZ).float()[:, None]
    return torch.maximum(comb, sub).clamp(max=1.0)


def prior_masks(harm: torch.Tensor, perc: torch.Tensor, sr: int = SAMPLE_RATE) -> torch.Tensor:
    """Drums, bass and other masks (3, channels, NET_BINS, T) by signal processing alone, from median-filter
    harmonic and percussive magnitudes (channels, NET_BINS, T) (Fitzgerald 2010): the harmonic part is
    divided between bass and other by ``bass_comb``; Wiener-like power ratios."""
    comb = torch.stack([bass_comb(h, sr) for h in harm])
    powers = torch.stack([perc**2, (harm * comb) ** 2, (harm * (1 - comb)) ** 2])
    return powers / (powers.sum(dim=0) + 1e-12)


def stft(x: np.ndarray, window: torch.Tensor) -> torch.Tensor:
    """Complex STFT (channels, F, T) of (channels, samples) audio with the split's frames."""
    x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    return torch.stft(x, N_FFT, HOP, window=window, center=True, return_complex=True)


#: Share of the network's "voice" (what Spleeter left of the singer) that is returned to the vocals. On real
#: multitracks (MUSDB18-7 test) the whole of it lowered vocal SDR by 0.24 dB against Spleeter's own vocals and
#: "other" by 0.14 dB; returning 0.3 / 0.5 / 0.7 of it gave vocals +0.12 / +0.11 / +0.02 dB over Spleeter and
#: "other" +0.08 / +0.07 / +0.02 dB over returning none (docs/stems.md). On synthetic voices it still helps.
VOICE_SHARE = 0.5

#: Frames of context on each side of a chunk: beyond the network's and the median filters' reach.
NET_MARGIN_FRAMES = 96
NET_CHUNK_FRAMES = 640


def split_with_net(acc: np.ndarray, vocals: np.ndarray, net: torch.nn.Module,
                   progress: Progress | None = None) -> dict[str, np.ndarray]:
    """drums, bass, other and voice of a 44.1 kHz accompaniment (channels, samples) given Spleeter's vocals
    of the same mix; they sum to ``acc``. Chunked with context so memory stays flat on long songs; ``progress``
    hears after each chunk (the bar stood at 73 % for 29 s of a 10-minute song; the long-file probe)."""
    n = acc.shape[1]
    window = torch.hann_window(N_FFT)
    step, margin = NET_CHUNK_FRAMES * HOP, NET_MARGIN_FRAMES * HOP
    out = {name: np.empty_like(acc, dtype=np.float32) for name in ("drums", "bass", "voice")}
    for start in range(0, n, step):
        end = min(n, start + step)
        lo, hi = max(0, start - margin), min(n, end + margin)
        acc_spec, vocal_spec = (stft(x[:, lo:hi], window) for x in (acc, vocals))
        acc_mag = acc_spec.abs()
        harm, perc = split_net.hpss_inputs(acc_mag)
        m = split_net.masks(net, acc_mag, vocal_spec.abs(), harm, perc)
        # an ensemble with the signal-processing split: better drums and bass on every test set (docs/stems.md)
        blended = (1 - PRIOR_WEIGHT) * m[:2] + PRIOR_WEIGHT * prior_masks(harm, perc)[:2] * (1 - m[3:4])
        m = split_net.carry_up(torch.cat([blended, m[3:4]]), acc_mag.shape[-2])  # drums, bass, voice
        # real masks on the (re, im) view: broadcasting a real tensor against a complex one converts it first
        masked = torch.view_as_complex(torch.view_as_real(acc_spec)[None] * m[..., None])
        parts = torch.istft(masked.flatten(0, 1), N_FFT, HOP, window=window, center=True,
                            length=hi - lo).unflatten(0, (3, -1))
        for k, name in enumerate(("drums", "bass", "voice")):
            out[name][:, start:end] = parts[k][:, start - lo : end - lo].numpy()
        report(progress, end / n, "splitting drums, bass and other")
    # Only part of the voice the network finds goes back to the vocals; the rest stays in "other"
    out["voice"] *= VOICE_SHARE
    out["other"] = (acc - out["drums"] - out["bass"] - out["voice"]).astype(np.float32)
    return out

