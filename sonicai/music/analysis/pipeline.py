"""Full analysis of one track: tempo and beats, key, chords, loudness and features.

The signal is resampled to 22050 Hz mono once; one STFT and one mel spectrogram feed
the onset envelope (tempo) and the timbre features. Loudness is measured on the
original channels and rate, as BS.1770 requires.
"""

from __future__ import annotations

import time

import numpy as np

from sonicai.music.progress import Progress, report

from .chords import chord_track
from .features import HOP, N_FFT, features_from_spectra
from .key import key_from_constant_q, with_cnn, written_key
from .loudness import measure_loudness
from .tempo import DSP_SR, onset_envelope_from_mel, tempo_from_onsets, tempo_from_rnn

ANALYSIS_SR = DSP_SR


def _mono_22k(audio: np.ndarray, sr: int) -> np.ndarray:
    a = np.asarray(audio, dtype=np.float32)
    y = a.mean(axis=0) if a.ndim == 2 else a
    if sr != ANALYSIS_SR:
        import soxr

        y = soxr.resample(y, sr, ANALYSIS_SR, quality="HQ")
    return np.ascontiguousarray(y, dtype=np.float32)


def analyze_signal(audio: np.ndarray, sr: int, progress: Progress | None = None,
                   known_key: tuple[str, str] | None = None, known_tempo: float | None = None) -> dict:
    """Analyse float audio (channels, samples) or mono 1-D at rate ``sr``; returns a JSON-ready dict.
    ``known_key`` (tonic, mode) and ``known_tempo`` (BPM): the key and tempo the music was written in, when they
    are known (the composer's tracks); they are stated instead of estimated, the chords are spelled in the key
    and the beats tracked at the tempo (an estimate read a 150-BPM jazz waltz at 75)."""
    import librosa

    a = np.asarray(audio, dtype=np.float32)
    if a.ndim not in (1, 2) or a.shape[-1] == 0:
        raise ValueError("audio must be non-empty, 1-D or (channels, samples)")
    given_key = written_key(*known_key) if known_key else None
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[stage] = round(now - t, 3)
        t = now

    report(progress, 0.0, "decode")
    y = _mono_22k(a, sr)
    if len(y) < N_FFT:
        y = np.pad(y, (0, N_FFT - len(y)))
    mag = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    mel = librosa.feature.melspectrogram(S=mag**2, sr=ANALYSIS_SR, n_mels=128, fmax=ANALYSIS_SR / 2)
    lap("spectrogram")
    report(progress, 0.15, "tempo")
    # The beat networks and the key CNN read the original channels' mix at 44.1 kHz, not the 22 kHz copy.
    tempo = tempo_from_rnn(a, sr, known_bpm=known_tempo)
    if tempo is None:
        tempo = tempo_from_onsets(onset_envelope_from_mel(mel), ANALYSIS_SR, HOP, known_bpm=known_tempo)
    lap("tempo")
    report(progress, 0.40, "key")
    key = given_key or with_cnn(key_from_constant_q(y, ANALYSIS_SR), a, sr)
    lap("key")
    report(progress, 0.55, "chords")
    chords = chord_track(y, ANALYSIS_SR, np.asarray(tempo.beats, dtype=float), key.tonic, key.mode)
    lap("chords")
    report(progress, 0.65, "loudness")
    loud = measure_loudness(a, sr)
    lap("loudness")
    report(progress, 0.80, "features")
    feats = features_from_spectra(y, ANALYSIS_SR, mag, mel, onset_env=None)
    lap("features")
    report(progress, 1.0, "done")
    return {
        "duration": round(a.shape[-1] / sr, 3),
        "sample_rate": int(sr),
        "tempo_bpm": float(tempo.bpm),
        "tempo_confidence": round(float(tempo.confidence), 3),
        "tempo_method": tempo.method,
        "beats": [round(float(b), 3) for b in tempo.beats],
        "key": key.tonic,
        "mode": key.mode,
        "key_confidence": float(key.confidence),
        "key_uncertain": bool(key.uncertain),
        "key_method": key.method,
        "loudness": loud,
        "loudness_lufs": loud["integrated_lufs"],
        "features": feats,
        "chords": chords,
        "timings": timings,
    }
