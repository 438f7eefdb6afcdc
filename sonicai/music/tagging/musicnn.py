"""PyTorch port of musicnn's MSD_musicnn tagger (Pons & Serra, "musicnn: pre-trained convolutional neural
networks for music audio tagging", ISMIR 2019 LBD).

The published model is a TensorFlow 1 graph (``musicnn/models.py: build_musicnn``); TensorFlow is not a
project dependency, so the graph is re-expressed here layer by layer and the checkpoint is read with
``sonicai.music.tf_bundle``. Layouts: TF runs NHWC with H = time and W = mel bins; here time is the last
axis of 1-D convolutions (N, C, T) and the timbral/temporal front-end uses NCHW (N, C, T, mels).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sonicai.music.device import torch_device
from sonicai.music.tf_bundle import read_tf_bundle

from .logmel import N_MELS, PATCH_FRAMES, SR, make_patches, musicnn_logmel, to_mono_16k

__all__ = ["MSD_TAGS", "MusicnnNet", "MusicnnTagger", "TaggerResult", "default_weights_dir"]

# Label order of the MSD_musicnn output layer (musicnn/configuration.py: MSD_LABELS).
MSD_TAGS: list[str] = [
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
    "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
    "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock",
    "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb",
    "indie pop", "sad", "House", "happy",
]  # fmt: skip

# tf.compat.v1.layers.batch_normalization's default epsilon (PyTorch's default is 1e-5).
TF_BN_EPS = 1e-3


def _bn(n: int) -> nn.Module:
    return nn.BatchNorm1d(n, eps=TF_BN_EPS)


def _bn2d(n: int) -> nn.Module:
    return nn.BatchNorm2d(n, eps=TF_BN_EPS)


def _tf_same_pad(kernel: int) -> tuple[int, int]:
    # TF 'same' with stride 1 puts the extra row of an even kernel after the input, not before.
    total = kernel - 1
    return total // 2, total - total // 2


class MusicnnNet(nn.Module):
    """build_musicnn(num_filt_frontend=1.6, num_filt_midend, num_units_backend) for ``n_mels`` input bins.

    forward(x: (N, T, n_mels) log-mel) -> dict with 'logits' (N, n_classes), 'penultimate' (N, units),
    'max_pool' and 'mean_pool' (N, 561 + 3 * midend) temporal pools of the dense mid-end features.
    Any T >= 1 works; the published weights were trained on T = 187.
    """

    def __init__(
        self,
        n_mels: int = N_MELS,
        frontend_scale: float = 1.6,
        midend_filters: int = 64,
        backend_units: int = 200,
        n_classes: int = 50,
    ) -> None:
        super().__init__()
        timbral_f = int(frontend_scale * 128)
        temporal_f = int(frontend_scale * 32)
        self.n_mels = n_mels
        self.input_bn = _bn2d(1)
        self.timbral_widths = (int(0.4 * n_mels), int(0.7 * n_mels))
        self.timbral = nn.ModuleList(nn.Conv2d(1, timbral_f, (7, w)) for w in self.timbral_widths)
        self.timbral_bn = nn.ModuleList(_bn2d(timbral_f) for _ in self.timbral_widths)
        self.temporal_lengths = (128, 64, 32)
        self.temporal = nn.ModuleList(nn.Conv2d(1, temporal_f, (k, 1)) for k in self.temporal_lengths)
        self.temporal_bn = nn.ModuleList(_bn2d(temporal_f) for _ in self.temporal_lengths)
        front_ch = 2 * timbral_f + 3 * temporal_f
        self.mid = nn.ModuleList(
            [nn.Conv1d(front_ch, midend_filters, 7), nn.Conv1d(midend_filters, midend_filters, 7),
             nn.Conv1d(midend_filters, midend_filters, 7)]
        )  # fmt: skip
        self.mid_bn = nn.ModuleList(_bn(midend_filters) for _ in range(3))
        self.pool_dim = front_ch + 3 * midend_filters
        self.pool_bn = _bn(2 * self.pool_dim)
        self.dense = nn.Linear(2 * self.pool_dim, backend_units)
        self.dense_bn = _bn(backend_units)
        self.out = nn.Linear(backend_units, n_classes)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.ndim != 3 or x.shape[2] != self.n_mels:
            raise ValueError(f"expected (batch, frames, {self.n_mels}) input, got {tuple(x.shape)}")
        h = self.input_bn(x.unsqueeze(1))  # (N, 1, T, mels)

        front: list[torch.Tensor] = []
        # Timbral: time padded by 3 each side, 'valid' in frequency, then max over the remaining mel axis.
        padded = F.pad(h, (0, 0, 3, 3))
        for conv, bn in zip(self.timbral, self.timbral_bn, strict=True):
            front.append(bn(F.relu(conv(padded))).amax(dim=3))
        # Temporal: 'same' padding in time (TF's asymmetric split for even kernels), max over all mels.
        for conv, bn, k in zip(self.temporal, self.temporal_bn, self.temporal_lengths, strict=True):
            before, after = _tf_same_pad(k)
            front.append(bn(F.relu(conv(F.pad(h, (0, 0, before, after))))).amax(dim=3))
        frontend = torch.cat(front, dim=1)  # (N, 561, T)

        # Mid-end: TF convolves a (T, C, 1) image with a (7, C) kernel, i.e. a 1-D conv over time.
        m1 = self.mid_bn[0](F.relu(self.mid[0](F.pad(frontend, (3, 3)))))
        m2 = self.mid_bn[1](F.relu(self.mid[1](F.pad(m1, (3, 3))))) + m1
        m3 = self.mid_bn[2](F.relu(self.mid[2](F.pad(m2, (3, 3))))) + m2
        feats = torch.cat([frontend, m1, m2, m3], dim=1)  # (N, 753, T)

        max_pool = feats.amax(dim=2)
        mean_pool = feats.mean(dim=2)
        # TF flattens a (753, 2) [max, mean] array, so max and mean values interleave per feature.
        pooled = torch.stack([max_pool, mean_pool], dim=2).flatten(1)
        penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
        logits = self.out(penultimate)
        return {"logits": logits, "penultimate": penultimate, "max_pool": max_pool, "mean_pool": mean_pool}


def _tf_names() -> dict[str, str]:
    """Map our state_dict prefixes to the TF1 auto-generated layer names, in graph construction order."""
    bn = ["input_bn", "timbral_bn.0", "timbral_bn.1", "temporal_bn.0", "temporal_bn.1", "temporal_bn.2",
          "mid_bn.0", "mid_bn.1", "mid_bn.2", "pool_bn", "dense_bn"]  # fmt: skip
    conv = ["timbral.0", "timbral.1", "temporal.0", "temporal.1", "temporal.2", "mid.0", "mid.1", "mid.2"]
    names = {ours: "batch_normalization" + (f"_{i}" if i else "") for i, ours in enumerate(bn)}
    names.update({ours: "conv2d" + (f"_{i}" if i else "") for i, ours in enumerate(conv)})
    names.update({"dense": "dense", "out": "dense_1"})
    return names


def state_dict_from_tf(tf: dict[str, np.ndarray], net: MusicnnNet) -> dict[str, torch.Tensor]:
    """Convert a musicnn TF checkpoint (as read by read_tf_bundle) into ``net``'s state_dict."""
    sd: dict[str, torch.Tensor] = {}
    own = net.state_dict()
    for ours, theirs in _tf_names().items():
        if ours.endswith("bn") or "_bn" in ours:
            sd[f"{ours}.weight"] = torch.from_numpy(tf[f"{theirs}/gamma"])
            sd[f"{ours}.bias"] = torch.from_numpy(tf[f"{theirs}/beta"])
            sd[f"{ours}.running_mean"] = torch.from_numpy(tf[f"{theirs}/moving_mean"])
            sd[f"{ours}.running_var"] = torch.from_numpy(tf[f"{theirs}/moving_variance"])
            sd[f"{ours}.num_batches_tracked"] = torch.tensor(0)
            continue
        k = tf[f"{theirs}/kernel"]
        if ours in ("dense", "out"):
            w = torch.from_numpy(k.T.copy())  # TF dense kernel is (in, out)
        else:
            w = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))  # HWIO -> OIHW
            if ours.startswith("mid."):
                # (out, 1, 7, C) -> Conv1d (out, C, 7): the TF "width" axis is our channel axis.
                w = w[:, 0].permute(0, 2, 1).contiguous()
        sd[f"{ours}.weight"] = w
        sd[f"{ours}.bias"] = torch.from_numpy(tf[f"{theirs}/bias"])
    for key, val in sd.items():
        if key not in own or own[key].shape != val.shape:
            want = tuple(own[key].shape) if key in own else None
            raise ValueError(f"checkpoint tensor for {key} has shape {tuple(val.shape)}, model expects {want}")
    return sd


def default_weights_dir() -> Path:
    """The MSD_musicnn checkpoint folder shipped inside the ``musicnn`` wheel (found without importing it,
    since importing musicnn would import TensorFlow)."""
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "musicnn weights not found: the 'musicnn' package (which ships MSD_musicnn/) is not installed; "
            "install the musicnn wheel or pass weights_dir=<folder containing the MSD_musicnn checkpoint>"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "MSD_musicnn"


def _checkpoint_prefix(weights_dir: Path) -> str:
    if (weights_dir / ".index").is_file():
        return f"{weights_dir}/"  # musicnn saves with an empty file name: "MSD_musicnn/.index"
    indexes = sorted(weights_dir.glob("*.index"))
    if len(indexes) == 1:
        return str(indexes[0])[: -len(".index")]
    raise FileNotFoundError(
        f"musicnn weights not found: expected one TF checkpoint (*.index + *.data-*) in {weights_dir}, "
        f"found {len(indexes)}"
    )


@dataclass
class TaggerResult:
    tags: dict[str, float]  # MSD tag -> probability, averaged over patches
    embedding: np.ndarray  # (200,) penultimate-layer activations averaged over patches
    patch_probs: np.ndarray  # (n_patches, 50) per-patch tag probabilities (the "taggram")
    patch_embeddings: np.ndarray  # (n_patches, 200)
    patch_seconds: float  # time between patch starts, for plotting the taggram


class MusicnnTagger:
    """MSD_musicnn audio tagger. ``MusicnnTagger.load().tag(y, sr)`` -> TaggerResult."""

    def __init__(self, net: MusicnnNet, device: str = "cpu", batch_size: int = 16) -> None:
        self.device = torch.device(torch_device(device))
        self.net = net.to(self.device).eval()
        self.batch_size = batch_size

    @classmethod
    def load(cls, weights_dir: Path | None = None, device: str = "cpu", batch_size: int = 16) -> MusicnnTagger:
        weights_dir = default_weights_dir() if weights_dir is None else Path(weights_dir)
        if not weights_dir.is_dir():
            raise FileNotFoundError(f"musicnn weights not found: {weights_dir} is not a directory")
        prefix = _checkpoint_prefix(weights_dir)
        net = MusicnnNet()
        wanted = {f"{tf}/{p}" for tf in _tf_names().values() for p in ("kernel", "bias")
                  if not tf.startswith("batch")} | {
            f"{tf}/{p}" for tf in _tf_names().values() if tf.startswith("batch")
            for p in ("gamma", "beta", "moving_mean", "moving_variance")}  # fmt: skip
        # Skip the Adam slots: they are two thirds of the file and only matter for training.
        tf = read_tf_bundle(prefix, names=sorted(wanted))
        net.load_state_dict(state_dict_from_tf(tf, net))
        return cls(net, device=device, batch_size=batch_size)

    @torch.inference_mode()
    def predict_patches(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, frames, 96) log-mel patches -> (sigmoid probabilities (n, 50), penultimate (n, 200))."""
        probs, embs = [], []
        for i in range(0, len(patches), self.batch_size):
            x = torch.from_numpy(np.ascontiguousarray(patches[i : i + self.batch_size], dtype=np.float32))
            out = self.net(x.to(self.device))
            probs.append(torch.sigmoid(out["logits"]).float().cpu().numpy())
            embs.append(out["penultimate"].float().cpu().numpy())
        return np.concatenate(probs), np.concatenate(embs)

    def tag(self, y: np.ndarray, sr: int, hop_seconds: float | None = None) -> TaggerResult:
        """Tag audio (1-D or (channels, samples), any rate). Patches are 3 s; ``hop_seconds`` defaults to 3 s
        (non-overlapping, as musicnn does by default)."""
        rep = musicnn_logmel(to_mono_16k(y, sr))
        hop = PATCH_FRAMES if hop_seconds is None else max(1, int(round(hop_seconds * SR / 256)))
        patches = make_patches(rep, PATCH_FRAMES, hop)
        probs, embs = self.predict_patches(patches)
        mean = probs.mean(axis=0)
        return TaggerResult(
            tags={t: float(p) for t, p in zip(MSD_TAGS, mean, strict=True)},
            embedding=embs.mean(axis=0),
            patch_probs=probs,
            patch_embeddings=embs,
            patch_seconds=hop * 256 / SR,
        )
