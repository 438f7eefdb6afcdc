"""Drum stem -> General MIDI hits."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from sonicai.music.transcription.drums import CLOSED_HIHAT, KICK, SNARE, transcribe_drums

SR = 44100


def _decay(seconds: float, tau: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.exp(-t / tau) * np.minimum(1.0, t / 0.001)


def synth_kick() -> np.ndarray:
    t = np.arange(int(0.4 * SR)) / SR
    freq = 50 + 90 * np.exp(-t / 0.03)  # the usual pitch drop of a kick drum
    return 0.9 * np.sin(2 * np.pi * np.cumsum(freq) / SR) * _decay(0.4, 0.12)


def synth_snare(rng) -> np.ndarray:
    t = np.arange(int(0.3 * SR)) / SR
    body = 0.5 * np.sin(2 * np.pi * 190 * t) * _decay(0.3, 0.05)
    wires = 0.5 * rng.standard_normal(len(t)) * _decay(0.3, 0.08)
    return body + wires


def synth_hat(rng) -> np.ndarray:
    noise = rng.standard_normal(int(0.1 * SR))
    hiss = np.diff(np.diff(noise, prepend=0), prepend=0)  # twice differentiated: mostly above 5 kHz
    return 0.15 * hiss * _decay(0.1, 0.02)


def place(events, seconds: float) -> np.ndarray:
    y = np.zeros(int(seconds * SR))
    for t, sound in events:
        i = int(t * SR)
        y[i:i + len(sound)] += sound[:len(y) - i]
    return y.astype(np.float32)


def test_synthetic_kick_snare_and_hat_get_their_gm_notes():
    rng = np.random.default_rng(0)
    truth = [(0.25, KICK), (0.75, SNARE), (1.25, CLOSED_HIHAT), (1.5, CLOSED_HIHAT), (1.75, KICK), (2.25, SNARE)]
    sounds = {KICK: synth_kick, SNARE: lambda: synth_snare(rng), CLOSED_HIHAT: lambda: synth_hat(rng)}
    y = place([(t, sounds[n]()) for t, n in truth], 3.0)
    hits = transcribe_drums(np.stack([y, y]), SR)
    assert [h.note for h in hits] == [n for _, n in truth]
    for hit, (t, _) in zip(hits, truth, strict=True):
        assert abs(hit.time - t) < 0.03
        assert 1 <= hit.velocity <= 127
    assert {h.name for h in hits} == {"kick", "snare", "hi-hat"}


def test_soundfont_groove_is_transcribed_hit_by_hit():
    """Four bars of rock beat from the General MIDI kit: 8th-note hats, kick on 1 and 3, snare
    on 2 and 4. Where kick or snare falls with a hat, the louder drum is the one reported."""
    from sonicai.music.synth import render_midi

    beat = 0.6
    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    kit = pretty_midi.Instrument(0, is_drum=True)
    expected = []
    for bar in range(4):
        for eighth in range(8):
            t = 0.3 + (bar * 8 + eighth) * beat / 2
            kit.notes.append(pretty_midi.Note(90, CLOSED_HIHAT, t, t + 0.1))
            top = CLOSED_HIHAT
            if eighth in (0, 4):
                kit.notes.append(pretty_midi.Note(110, KICK, t, t + 0.1))
                top = KICK
            if eighth in (2, 6):
                kit.notes.append(pretty_midi.Note(110, SNARE, t, t + 0.1))
                top = SNARE
            expected.append((t, top))
    pm.instruments.append(kit)
    y = render_midi(pm, SR, duration=10.5)
    hits = transcribe_drums(y, SR)
    assert len(hits) == len(expected)
    for hit, (t, note) in zip(hits, expected, strict=True):
        assert abs(hit.time - t) < 0.03 and hit.note == note


def test_silence_and_bad_shapes():
    assert transcribe_drums(np.zeros(SR, np.float32), SR) == []
    assert transcribe_drums(np.zeros(100, np.float32), SR) == []
    with pytest.raises(ValueError, match="1-D or"):
        transcribe_drums(np.zeros((1, 2, 3), np.float32), SR)
