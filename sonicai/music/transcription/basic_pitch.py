"""basic-pitch (Spotify's ICASSP 2022 audio-to-MIDI network) in PyTorch.

Bittner, Bosch, Rubinstein, Meseguer-Brocal, Ewert: *A Lightweight Instrument-Agnostic Model for
Polyphonic Note Transcription and Multipitch Estimation*, ICASSP 2022. The weights are those the
``basic-pitch`` wheel ships as ``basic_pitch/saved_models/icassp_2022/nmp.onnx`` (Apache-2.0); they are
read from that file with ``onnx_graph.read_onnx_graph`` and nothing of the ``basic_pitch`` package is
imported. docs/transcription.md records how this port was checked against the original.

The network takes 2-second windows of 22.05 kHz mono audio (43 844 samples) and returns, per window,
172 frames (hop 256) of three posteriorgrams: ``contour`` (264 bins, 3 per semitone from A0),
``note`` and ``onset`` (88 bins, one per piano key). Inside it:

1. a constant-Q transform (nnAudio's CQT2010v2 as ported to TensorFlow by basic-pitch): a 36-bin,
   256-tap complex kernel for the top octave, applied to the signal and to 8 successively
   half-band-filtered and decimated copies of it, giving 9 x 36 bins, of which the top 309 are kept
   and scaled by sqrt(kernel length);
2. ``NormalizedLog``: power in dB, shifted and scaled to [0, 1] **per window**;
3. a one-channel batch norm, then harmonic stacking: 8 copies of the CQT shifted by the bins of the
   harmonics 0.5, 1, ..., 7, cut to 264 bins;
4. three small convolutional heads (the batch norms after convolutions are folded into the
   convolution weights in the ONNX file, so they are plain convolutions here).

Long audio is cut into windows exactly as ``basic_pitch.inference.run_inference`` does (see
``predict_posteriorgrams``), because the per-window normalisation makes the output depend on where
the windows fall.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..audio_io import mono_at
from .onnx_graph import OnnxFormatError, OnnxGraph, read_onnx_graph

__all__ = [
    "SAMPLE_RATE", "HOP", "WINDOW_SAMPLES", "WINDOW_FRAMES", "OVERLAP_FRAMES", "FRAMES_PER_SECOND",
    "BasicPitchNet", "BasicPitchWeightsMissing", "Posteriorgrams", "default_weights_path",
    "load_basic_pitch", "predict_posteriorgrams", "prepare_audio",
]

SAMPLE_RATE = 22050
HOP = 256
WINDOW_FRAMES = 172
#: Samples per network window: two seconds less one hop, so that it yields exactly 172 frames.
WINDOW_SAMPLES = SAMPLE_RATE * 2 - HOP
#: Frames shared by consecutive windows; half of them is dropped at each side of every window.
OVERLAP_FRAMES = 30
#: basic-pitch's ANNOTATIONS_FPS: an integer (86), not 22050 / 256 = 86.13. The original uses it to
#: decide how many frames a file has, so we do too.
FRAMES_PER_SECOND = SAMPLE_RATE // HOP

N_CONTOUR_BINS = 264
N_NOTE_BINS = 88
_BINS_PER_OCTAVE = 36
_N_CQT_BINS = 309  # min(88 + ceil(12 log2 8), floor(12 log2(11025 / 27.5))) semitones x 3
_N_OCTAVES = math.ceil(_N_CQT_BINS / _BINS_PER_OCTAVE)
_CQT_TAPS = 256
_HARMONICS = (0.5, 1, 2, 3, 4, 5, 6, 7)
HARMONIC_SHIFTS = tuple(int(round(_BINS_PER_OCTAVE * math.log2(h))) for h in _HARMONICS)

# (out, in, kernel height (time), kernel width (frequency)) of each convolution, and its stride.
_CONV_SHAPES = {
    "contour_hidden": ((8, 8, 3, 39), (1, 1)),
    "contour_out": ((1, 8, 5, 5), (1, 1)),
    "note_hidden": ((32, 1, 7, 7), (1, 3)),
    "note_out": ((1, 32, 7, 3), (1, 1)),
    "onset_hidden": ((32, 8, 5, 5), (1, 3)),
    "onset_out": ((1, 33, 3, 3), (1, 1)),
}
# Keras padding="same" for these strides and the 264-bin input pads symmetrically; the ONNX file
# records it explicitly and the loader checks that it agrees.
_CONV_PADDING = {
    "contour_hidden": (1, 19), "contour_out": (2, 2), "note_hidden": (3, 2),
    "note_out": (3, 1), "onset_hidden": (2, 1), "onset_out": (1, 1),
}


class BasicPitchWeightsMissing(FileNotFoundError):
    """The basic-pitch weights file is not where we looked."""


def default_weights_path() -> Path:
    """``nmp.onnx`` inside the installed ``basic-pitch`` wheel (found without importing the package)."""
    spec = importlib.util.find_spec("basic_pitch")
    if spec is None or not spec.submodule_search_locations:
        raise BasicPitchWeightsMissing(
            "basic-pitch weights not found: the basic-pitch wheel is not installed; install it with: "
            "pip install --no-deps basic-pitch==0.4.0")
    path = Path(list(spec.submodule_search_locations)[0]) / "saved_models" / "icassp_2022" / "nmp.onnx"
    if not path.is_file():
        raise BasicPitchWeightsMissing(f"basic-pitch weights not found: {path} does not exist; reinstall "
                                       "with: pip install --no-deps --force-reinstall basic-pitch==0.4.0")
    return path


class BasicPitchNet(nn.Module):
    """The ICASSP 2022 model, audio windows in, posteriorgrams out. Build it with ``from_onnx``."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("cqt_real", torch.zeros(_BINS_PER_OCTAVE, 1, _CQT_TAPS))
        self.register_buffer("cqt_imag", torch.zeros(_BINS_PER_OCTAVE, 1, _CQT_TAPS))
        self.register_buffer("cqt_bias", torch.zeros(_BINS_PER_OCTAVE))
        self.register_buffer("lowpass", torch.zeros(1, 1, _CQT_TAPS))
        self.register_buffer("lowpass_bias", torch.zeros(1))
        self.register_buffer("cqt_scale", torch.ones(_N_CQT_BINS))
        self.register_buffer("bn_scale", torch.ones(1))
        self.register_buffer("bn_offset", torch.zeros(1))
        for name, (shape, stride) in _CONV_SHAPES.items():
            setattr(self, name, nn.Conv2d(shape[1], shape[0], shape[2:], stride=stride,
                                          padding=_CONV_PADDING[name]))

    # ------------------------------------------------------------------ front end
    def cqt(self, audio: torch.Tensor) -> torch.Tensor:
        """(batch, samples) -> (batch, frames, 309) CQT magnitude."""
        x = audio[:, None, :]
        hop = HOP
        octaves = []
        for octave in range(_N_OCTAVES):
            if octave:
                # Half-band low-pass and decimate by 2 (nnAudio's downsampling_by_n, zero padded).
                pad = (_CQT_TAPS - 1) // 2
                x = F.conv1d(F.pad(x, (pad, pad)), self.lowpass, self.lowpass_bias, stride=2)
                hop //= 2
            padded = F.pad(x, (_CQT_TAPS // 2, _CQT_TAPS // 2), mode="reflect")
            real = F.conv1d(padded, self.cqt_real, self.cqt_bias, stride=hop)
            imag = -F.conv1d(padded, self.cqt_imag, self.cqt_bias, stride=hop)
            octaves.append(torch.stack((real, imag), dim=-1))
        # Lower octaves go below higher ones; drop the 15 bins under A0.
        spec = torch.cat(octaves[::-1], dim=1)[:, -_N_CQT_BINS:]
        spec = spec * self.cqt_scale[None, :, None, None]
        return torch.sqrt((spec * spec).sum(-1)).transpose(1, 2)

    @staticmethod
    def normalized_log(magnitude: torch.Tensor) -> torch.Tensor:
        """basic-pitch's NormalizedLog: power in dB, min-max scaled to [0, 1] over each window."""
        log_power = torch.log(magnitude * magnitude + 1e-10) * (10.0 / math.log(10.0))
        shifted = log_power - log_power.amin(dim=(1, 2), keepdim=True)
        peak = shifted.amax(dim=(1, 2), keepdim=True)
        # tf.math.divide_no_nan: a silent window (peak 0) gives zeros, not NaN.
        return torch.where(peak == 0, torch.zeros_like(shifted), shifted / torch.where(peak == 0, 1.0, peak))

    def harmonic_stack(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, frames, 309) -> (batch, 8, frames, 264): the CQT shifted by each harmonic's bins."""
        channels = []
        for shift in HARMONIC_SHIFTS:
            if shift > 0:
                channels.append(F.pad(x[..., shift:], (0, shift)))
            elif shift < 0:
                channels.append(F.pad(x[..., :shift], (-shift, 0)))
            else:
                channels.append(x)
        return torch.stack(channels, dim=1)[..., :N_CONTOUR_BINS]

    def features(self, audio: torch.Tensor) -> torch.Tensor:
        """(batch, 43844) audio -> (batch, 8, 172, 264) harmonic CQT, as the heads see it."""
        x = self.normalized_log(self.cqt(audio))
        x = x * self.bn_scale + self.bn_offset
        return self.harmonic_stack(x)

    # ------------------------------------------------------------------ heads
    def forward(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        """(batch, 43844) audio windows -> {"note", "onset": (batch, 172, 88), "contour": (batch, 172, 264)}."""
        x = self.features(audio)
        contour = torch.sigmoid(self.contour_out(F.relu(self.contour_hidden(x))))
        note_pre = torch.sigmoid(self.note_out(F.relu(self.note_hidden(contour))))
        onset_hidden = F.relu(self.onset_hidden(x))
        onset = torch.sigmoid(self.onset_out(torch.cat((note_pre, onset_hidden), dim=1)))
        return {"note": note_pre[:, 0], "onset": onset[:, 0], "contour": contour[:, 0]}

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_onnx(cls, path: str | Path) -> BasicPitchNet:
        """Build the network from basic-pitch's ``nmp.onnx`` (raises ``OnnxFormatError`` for another model)."""
        graph = read_onnx_graph(path)
        net = cls()
        state = _weights_from_graph(graph)
        with torch.no_grad():
            for name, value in state.items():
                target = net.get_buffer(name) if name in dict(net.named_buffers()) else net.get_parameter(name)
                if tuple(target.shape) != value.shape:
                    raise OnnxFormatError(f"{name}: expected shape {tuple(target.shape)}, file has {value.shape}")
                target.copy_(torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32)))
        return net.eval()


def _weights_from_graph(graph: OnnxGraph) -> dict[str, np.ndarray]:
    """Find each constant by where it sits in the graph (tf2onnx's tensor names are not stable)."""
    state: dict[str, np.ndarray] = {}
    by_shape: dict[tuple, list] = {}
    for node in graph.nodes:
        if node.op_type == "Conv":
            by_shape.setdefault(tuple(graph.constant(node, 1).shape), []).append(node)

    def bias(node) -> np.ndarray:
        if len(node.inputs) > 2:
            return graph.constant(node, 2)
        return np.zeros(graph.constant(node, 1).shape[0], np.float32)

    for name, (shape, stride) in _CONV_SHAPES.items():
        nodes = by_shape.get(shape, [])
        if len(nodes) != 1:
            raise OnnxFormatError(f"expected one {shape} convolution for {name}, found {len(nodes)}: "
                                  "not basic-pitch's ICASSP 2022 model")
        node = nodes[0]
        pads = list(node.attributes.get("pads", [0, 0, 0, 0]))
        want = list(_CONV_PADDING[name]) * 2
        if list(node.attributes.get("strides", [1, 1])) != list(stride) or pads != want:
            raise OnnxFormatError(f"{name}: strides/pads {node.attributes} differ from the ported model")
        state[f"{name}.weight"] = graph.constant(node, 1)
        state[f"{name}.bias"] = bias(node)

    # The CQT: one real and one imaginary top-octave kernel, reused at every octave; the imaginary
    # convolution is the one whose output is negated.
    cqt_nodes = by_shape.get((_BINS_PER_OCTAVE, 1, 1, _CQT_TAPS), [])
    kernels: dict[str, set] = {"real": set(), "imag": set()}
    for node in cqt_nodes:
        negated = any(c.op_type == "Neg" for c in graph.consumers(node.outputs[0]))
        kernels["imag" if negated else "real"].add(node.inputs[1])
        state["cqt_bias"] = bias(node)
    if len(cqt_nodes) != 2 * _N_OCTAVES or any(len(v) != 1 for v in kernels.values()):
        raise OnnxFormatError("CQT kernels not found: not basic-pitch's ICASSP 2022 model")
    state["cqt_real"] = graph.initializers[kernels["real"].pop()][:, :, 0, :]
    state["cqt_imag"] = graph.initializers[kernels["imag"].pop()][:, :, 0, :]

    lowpass = by_shape.get((1, 1, 1, _CQT_TAPS), [])
    if len(lowpass) != _N_OCTAVES - 1 or len({n.inputs[1] for n in lowpass}) != 1:
        raise OnnxFormatError("CQT anti-aliasing filter not found: not basic-pitch's ICASSP 2022 model")
    state["lowpass"] = graph.constant(lowpass[0], 1)[:, :, 0, :]
    state["lowpass_bias"] = bias(lowpass[0])

    for node in graph.nodes:
        if node.op_type != "Mul":
            continue
        consts = [graph.initializers[i] for i in node.inputs if i in graph.initializers]
        if len(consts) != 1:
            continue
        if consts[0].shape == (_N_CQT_BINS, 1, 1):
            state["cqt_scale"] = consts[0].reshape(-1)
        elif consts[0].shape == (1,):
            adds = [c for c in graph.consumers(node.outputs[0]) if c.op_type == "Add"]
            offsets = [graph.initializers[i] for a in adds for i in a.inputs if i in graph.initializers]
            if len(offsets) == 1 and offsets[0].shape == (1,):
                state["bn_scale"], state["bn_offset"] = consts[0], offsets[0]
    for key in ("cqt_scale", "bn_scale"):
        if key not in state:
            raise OnnxFormatError(f"{key} not found: not basic-pitch's ICASSP 2022 model")
    return state


_CACHE: dict[tuple[str, str], BasicPitchNet] = {}
_CACHE_LOCK = threading.Lock()


def load_basic_pitch(weights: str | Path | None = None, device: str | torch.device = "cpu") -> BasicPitchNet:
    """The network with the wheel's weights (or ``weights``), cached per path and device."""
    path = Path(weights) if weights is not None else default_weights_path()
    if not path.is_file():
        raise BasicPitchWeightsMissing(f"basic-pitch weights not found: {path} does not exist")
    key = (str(path.resolve()), str(device))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = BasicPitchNet.from_onnx(path).to(device)
        return _CACHE[key]


@dataclass
class Posteriorgrams:
    """Frame-wise network output for a whole file, frame ``i`` at about ``i * 256 / 22050`` s."""

    note: np.ndarray  # (frames, 88) float32, bin k = MIDI pitch 21 + k
    onset: np.ndarray  # (frames, 88)
    contour: np.ndarray  # (frames, 264), 3 bins per semitone from A0 (27.5 Hz)


def prepare_audio(audio: np.ndarray, sr: int) -> np.ndarray:
    """Any (channels, samples) or (samples,) float audio -> mono float32 at 22.05 kHz.

    Like ``librosa.load(path, sr=22050, mono=True)`` in the original: channels are averaged first,
    then resampled with soxr at high quality (librosa's default ``soxr_hq``).
    """
    return mono_at(audio, sr, SAMPLE_RATE)


def _windows(y: np.ndarray) -> np.ndarray:
    """basic-pitch's windowing: half an overlap of zeros in front, a window every 36 164 samples,
    the last ones zero padded. Returns (n_windows, 43844)."""
    overlap = OVERLAP_FRAMES * HOP
    hop = WINDOW_SAMPLES - overlap
    padded = np.concatenate([np.zeros(overlap // 2, np.float32), y])
    starts = range(0, len(padded), hop)
    out = np.zeros((len(starts), WINDOW_SAMPLES), np.float32)
    for row, start in enumerate(starts):
        chunk = padded[start:start + WINDOW_SAMPLES]
        out[row, :len(chunk)] = chunk
    return out


def predict_posteriorgrams(
    audio: np.ndarray,
    sr: int,
    *,
    model: BasicPitchNet | None = None,
    batch_size: int = 16,
    progress: Callable[[float, str], None] | None = None,
) -> Posteriorgrams:
    """Run the network over a whole recording.

    As in ``basic_pitch.inference.run_inference``: the 22.05 kHz mono signal gets 3 840 zeros in
    front, is cut into 43 844-sample windows every 36 164 samples (30 frames overlap), 15 frames are
    dropped at each end of every window's 172, the rest are concatenated and cut to
    ``floor(samples * 86 / 22050)`` frames. Windows are independent, so they run in batches.
    """
    net = model if model is not None else load_basic_pitch()
    y = prepare_audio(audio, sr)
    n_keep = int(np.floor(len(y) * (FRAMES_PER_SECOND / SAMPLE_RATE)))
    windows = _windows(y)
    device = next(net.parameters()).device
    trim = OVERLAP_FRAMES // 2
    outputs: dict[str, list[np.ndarray]] = {"note": [], "onset": [], "contour": []}
    with torch.inference_mode():
        for start in range(0, len(windows), batch_size):
            batch = torch.from_numpy(windows[start:start + batch_size]).to(device)
            for key, value in net(batch).items():
                outputs[key].append(value[:, trim:WINDOW_FRAMES - trim].float().cpu().numpy())
            if progress is not None:
                progress(min(1.0, (start + batch_size) / len(windows)), "transcribing notes")
    return Posteriorgrams(**{
        key: np.concatenate(chunks).reshape(-1, chunks[0].shape[-1])[:n_keep]
        for key, chunks in outputs.items()
    })
