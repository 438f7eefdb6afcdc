"""Meta's Demucs (hybrid transformer) engines through the ``demucs`` package.

Weights come from ``<models_dir>/demucs`` (demucs' local repo layout: the ``.th``
files and their ``.yaml``), where ``manage.py models install <name>`` puts them. Downloading the usual way
(Hugging Face / Meta's server) happens only when allowed (SONICAI_ALLOW_DOWNLOADS=1).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sonicai.music.loaded import LOADED
from sonicai.music.models.catalogue import install_command
from sonicai.music.progress import Progress, report

from .base import EngineUnavailable, SeparationEngine, as_2d
from .stems import SIX_STEMS

MODELS = {
    "htdemucs": ("Hybrid Transformer Demucs v4: state-of-the-art 4 stems.", ["drums", "bass", "other", "vocals"]),
    "htdemucs_ft": ("htdemucs fine-tuned per source (4 models, best quality, 4x slower).",
                    ["drums", "bass", "other", "vocals"]),
    "htdemucs_6s": ("htdemucs with guitar and piano (6 stems).",
                    ["drums", "bass", "other", "vocals", "guitar", "piano"]),
}
ORDER = SIX_STEMS


def downloads_allowed() -> bool:
    return os.environ.get("SONICAI_ALLOW_DOWNLOADS", "").lower() in ("1", "true", "yes")


class DemucsEngine(SeparationEngine):
    def __init__(self, name: str, models_dir: Path | None = None, device: str | None = None, model=None,
                 segment_shifts: int = 0, overlap: float = 0.25):
        self.name = name
        self.description, self.stems = MODELS.get(name, ("Demucs model", ["drums", "bass", "other", "vocals"]))
        self.repo = Path(models_dir) / "demucs" if models_dir else None
        self.device_preference = device
        self.shifts, self.overlap = segment_shifts, overlap
        self._model = model  # a model object given directly (tests use demucs_unittest())

    def available(self) -> tuple[bool, str]:
        if self._model is not None:
            return True, "ready"
        if self.repo is not None and self.repo.is_dir() and any(self.repo.glob(f"{self.name}.yaml")):
            return True, f"ready (weights in {self.repo})"
        if self.repo is not None and self.repo.is_dir() and any(self.repo.glob("*.th")) and self.name == "htdemucs":
            return True, f"ready (weights in {self.repo})"
        if downloads_allowed():
            return True, "weights will be downloaded on first use (SONICAI_ALLOW_DOWNLOADS=1)"
        where = self.repo or "<SONICAI_MODELS_DIR>/demucs"
        return False, (f"{self.name} is not installed on this server: run `{install_command(self.name, True)}` "
                       f"(research-only weights; they go to {where}).")

    def model(self):
        """The network, kept loaded between jobs (``sonicai.music.loaded``); a model given directly is used as is.
        ``apply_model`` moves it to the device and processes the song segment by segment there, keeping the
        whole song and the output in host memory, so long files fit the GPU too."""
        if self._model is not None:
            return self._model.to(self.device).eval()
        ok, message = self.available()
        if not ok:
            raise EngineUnavailable(message)
        repo = self.repo if self.repo is not None and self.repo.is_dir() and not downloads_allowed() else None

        def load():
            from demucs.pretrained import get_model

            return get_model(self.name, repo=repo).to(self.device).eval()

        return LOADED.get(("demucs", self.name, str(repo), self.device), load, self.device)

    def separate(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
        import torch
        from demucs.apply import apply_model

        from sonicai.music.audio_io import fit_length, resample

        audio = as_2d(audio)
        channels, n = audio.shape
        model = self.model()
        msr = int(model.samplerate)
        x = resample(audio, sr, msr) if sr != msr else audio
        x = np.repeat(x, model.audio_channels, axis=0)[: model.audio_channels] if channels == 1 else x[:2]
        mix = torch.from_numpy(np.ascontiguousarray(x))
        ref = mix.mean(0)
        mean, std = ref.mean(), ref.std() + 1e-8
        length = mix.shape[-1]

        def on_progress(info: dict) -> None:
            # demucs reports each segment's start and end; bags report their model index too
            if info.get("state") != "end":
                return
            models = max(1, info.get("models", 1))
            done = (info.get("model_idx_in_bag", 0) + min(1.0, (info.get("segment_offset", 0) + 1) / length)) / models
            report(progress, 0.95 * done, f"separating with {self.name}")

        with torch.inference_mode():
            out = apply_model(model, ((mix - mean) / std)[None], shifts=self.shifts, split=True,
                              overlap=self.overlap, device=self.device, callback=on_progress)[0]
        out = (out * std + mean).cpu().numpy()
        stems = {}
        for i, name in enumerate(model.sources):
            s = out[i]
            if channels == 1:
                s = s.mean(axis=0, keepdims=True)
            if sr != msr:
                s = resample(s, msr, sr)
            stems[name] = fit_length(s, n).astype(np.float32)
        report(progress, 1.0, "separated")
        return {name: stems[name] for name in ORDER if name in stems}
