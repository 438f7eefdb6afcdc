"""Pretrained music auto-tagging (musicnn MSD model ported to PyTorch)."""

from .musicnn import MSD_TAGS, MusicnnNet, MusicnnTagger, TaggerResult, default_weights_dir

__all__ = ["MSD_TAGS", "MusicnnNet", "MusicnnTagger", "TaggerResult", "default_weights_dir"]
