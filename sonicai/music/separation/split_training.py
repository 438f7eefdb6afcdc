"""The split network's training losses (``python -m bench.train_split_net`` trains it): the error of the stems the
studio returns, in the STFT domain."""

from __future__ import annotations

import torch

from . import split


def phase_parts(target: torch.Tensor, acc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A complex target STFT's parts along and across the accompaniment STFT's phase, bin by bin."""
    rotated = target * (acc / (acc.abs() + 1e-12)).conj()
    return rotated.real, rotated.imag


def l1_loss(m: torch.Tensor, acc: torch.Tensor, along: torch.Tensor, across: torch.Tensor,
            weight: torch.Tensor) -> torch.Tensor:
    """The shipped weights' loss: L1 distance of each masked accompaniment magnitude to the stem's magnitude."""
    mag = torch.sqrt(along**2 + across**2)
    return ((m * acc[:, None] - mag).abs() * weight[None, :, None, None]).mean()


def sdr_loss(m: torch.Tensor, acc: torch.Tensor, along: torch.Tensor, across: torch.Tensor,
             vocal_energy: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Minus the SDR (dB) of the four stems the studio returns, per excerpt, in the STFT domain: drums and bass
    are their masks, other keeps (1 - VOICE_SHARE) of the found voice, and the vocals' error is what Spleeter
    left of the singer minus the share returned (split.py). The error of a real mask is exact per bin
    (phase-sensitive target, see bench/train_split_net.py); magnitude losses over-count a stem wherever its phase
    disagrees with the mix's. The mean SDR in dB over stems and songs is what the benchmark reports."""
    share = split.VOICE_SHARE
    outputs = torch.stack([m[:, 0], m[:, 1], m[:, 2] + (1 - share) * m[:, 3], share * m[:, 3]], dim=1)
    err = ((outputs * acc[:, None] - along) ** 2).sum(dim=(2, 3)) + (across**2).sum(dim=(2, 3))  # (B, 4)
    energy = (along**2 + across**2).sum(dim=(2, 3))
    energy = torch.cat([energy[:, :3], vocal_energy.sum(dim=1, keepdim=True)], dim=1)
    floor = 1e-3 * (acc**2).sum(dim=(1, 2))[:, None]  # silent stems (left out of a remix) stay finite
    return (10 * torch.log10((err + floor) / (energy + floor)) * weight[None]).mean()
