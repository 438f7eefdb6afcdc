"""What the Spleeter engines load, named without importing torch (the web processes list the engines; only
workers build the networks): Deezer's released models and what differs between them (``spleeter.py`` builds their
layers from these), and the weights of our drums/bass/other split network (``split_net.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 44100  # every Spleeter model's rate
SPLIT_NET_WEIGHTS = Path(__file__).parent / "weights" / "split_net.pt"

INSTRUMENTS = ("vocals", "accompaniment")


@dataclass(frozen=True)
class SpleeterConfig:
    """What differs between Spleeter's released models (configs/<n>stems/base_config.json)."""

    instruments: tuple[str, ...]  # in the config's order, which is the checkpoint's layer order
    conv_activation: str = "leaky_relu"  # encoder: LeakyReLU(0.2) unless the config says ELU
    deconv_activation: str = "relu"  # decoder: ReLU unless the config says ELU
    softmax: bool = False  # "unet.softmax_unet": one softmax over every instrument's mask logits


CONFIGS = {
    "2stems": SpleeterConfig(INSTRUMENTS),
    "4stems": SpleeterConfig(("vocals", "drums", "bass", "other"), "elu", "elu"),
    "5stems": SpleeterConfig(("vocals", "piano", "drums", "bass", "other"), "elu", "elu", softmax=True),
}
