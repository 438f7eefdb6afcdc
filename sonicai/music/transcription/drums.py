"""A drum stem -> General MIDI drum hits (kick, snare, hi-hat, tom) from onsets and band energies.

basic-pitch transcribes pitched notes; a drum stem needs onsets and a guess of which drum made each
one. This is the classic signal-processing route (onset detection, then the spectral shape of what
each onset added), not a trained drum-transcription network, so it labels one drum per onset:
the dominant one. Simultaneous kick + hi-hat comes out as kick; kick + snare as snare.

At each onset we take, per frequency band, the power that arrived (the most in the three frames
from the onset, minus the mean of three frames before it) in dB, and decide:

* **hi-hat / cymbal** (GM 42) when the bands above 400 Hz rose at least 10 dB more than the two
  below (metal has almost nothing low);
* **kick** (GM 36) when 30-150 Hz rose at least 6 dB more than 150-400 Hz;
* **snare** (GM 38) when the top band (6-11 kHz, the snare wires) is within 16 dB of the
  150-400 Hz body;
* **tom** (GM 47) otherwise: a tonal drum without the snare's noise.

The thresholds were set on the General MIDI kit of pretty_midi's TimGM6mb SoundFont and on
synthetic drums (tests/music/test_transcription_drums.py), not on real drum recordings: no labelled
real drum data could be had here. librosa does the onset detection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..audio_io import mono_at

__all__ = ["KICK", "SNARE", "CLOSED_HIHAT", "TOM", "DrumHit", "transcribe_drums"]

KICK, SNARE, CLOSED_HIHAT, TOM = 36, 38, 42, 47
DRUM_NAMES = {KICK: "kick", SNARE: "snare", CLOSED_HIHAT: "hi-hat", TOM: "tom"}

_SR = 22050
_N_FFT = 1024
_HOP = 256
_BANDS = {"low": (30.0, 150.0), "body": (150.0, 400.0), "mid": (400.0, 2500.0),
          "presence": (2500.0, 6000.0), "top": (6000.0, 11025.0)}
_METAL_DB = 10.0
_KICK_DB = 6.0
_SNARE_NOISE_DB = -16.0
HIT_SECONDS = 0.08  # written note length; GM drums ignore note-off, DAWs like a short note


@dataclass(frozen=True)
class DrumHit:
    time: float  # seconds
    note: int  # General MIDI percussion key (channel 10)
    velocity: int  # 1..127

    @property
    def name(self) -> str:
        return DRUM_NAMES.get(self.note, str(self.note))


def _classify(levels: dict[str, float]) -> int:
    bottom = max(levels["low"], levels["body"])
    upper = max(levels["mid"], levels["presence"], levels["top"])
    if upper - bottom >= _METAL_DB:
        return CLOSED_HIHAT
    if levels["low"] - levels["body"] >= _KICK_DB:
        return KICK
    if levels["top"] - levels["body"] >= _SNARE_NOISE_DB:
        return SNARE
    return TOM


def transcribe_drums(
    audio: np.ndarray,
    sr: int,
    progress: Callable[[float, str], None] | None = None,
) -> list[DrumHit]:
    """Drum hits in a drum stem, in time order. ``audio``: (samples,) or (channels, samples)."""
    import librosa

    y = mono_at(audio, sr, _SR)
    if progress is not None:
        progress(0.0, "finding drum hits")
    if len(y) < _N_FFT or not np.any(y):
        return []
    power = np.abs(librosa.stft(y, n_fft=_N_FFT, hop_length=_HOP)) ** 2
    envelope = librosa.onset.onset_strength(S=librosa.power_to_db(power, ref=np.max, top_db=80.0), sr=_SR)
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=_SR, hop_length=_HOP, units="frames")
    freqs = librosa.fft_frequencies(sr=_SR, n_fft=_N_FFT)
    band_power = np.stack([power[(freqs >= lo) & (freqs < hi)].sum(axis=0) for lo, hi in _BANDS.values()])
    # The loudest arrival in the stem is 0 dB; quieter hits get lower velocities.
    floor = band_power.max() * 1e-10
    arrivals = []
    for t in onsets:
        after = band_power[:, t:t + 3].max(axis=1)
        before = band_power[:, max(t - 3, 0):t].mean(axis=1) if t > 0 else np.zeros(len(_BANDS))
        arrivals.append(np.maximum(after - before, 0.0) + floor)
    hits = []
    loudest = max((a.sum() for a in arrivals), default=1.0)
    for t, arrived in zip(onsets, arrivals, strict=True):
        levels = dict(zip(_BANDS, 10 * np.log10(arrived), strict=True))
        db = 10 * np.log10(arrived.sum() / loudest)
        velocity = int(np.clip(round(127 + 2.5 * db), 20, 127))
        hits.append(DrumHit(time=float(t * _HOP / _SR), note=_classify(levels), velocity=velocity))
    if progress is not None:
        progress(1.0, "finding drum hits")
    return hits
