"""Which torch device an engine runs on: the one rule for every engine and job."""

from __future__ import annotations


def torch_device(preference: str | None = None) -> str:
    """``preference`` as given ('cpu', 'cuda', 'cuda:1'); for None, '' or 'auto' the GPU when there is one, else
    the CPU."""
    if preference in (None, "", "auto"):
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return preference
