"""What the diffusers engines (Stable Audio Open, Riffusion) share: where their weights live, whether the
diffusers layout there is complete, the install message, and loading one cached pipeline offline by default.

A subclass names its model (NAME, REPO, LABEL), the packages it needs, the components that must hold weights,
its pipeline class and any extra ``from_pretrained`` arguments, and writes its own ``generate``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from sonicai.music.device import torch_device

from .base import MODEL_CACHE, MODEL_CACHE_LOCK, EngineUnavailable, downloads_allowed

WEIGHT_PATTERNS = ("*.safetensors", "*.bin")


def weights_dir(models_dir: Path | str | None, name: str) -> Path:
    root = Path(models_dir) if models_dir is not None else Path("models")
    return root / name


class DiffusersEngine:
    engine = "diffusers"
    NAME = ""
    REPO = ""
    LABEL = ""  # how messages name the model
    REQUIRED: dict[str, str] = {"diffusers": "diffusers==0.42.1"}  # module -> pip pin
    WEIGHTED: tuple[str, ...] = ()  # components whose folders must hold weight files
    OPTIONAL: tuple[str, ...] = ()  # components listed in model_index.json that are never loaded
    DEFAULT_STEPS = 50
    DOWNLOAD_NOTE = ""  # e.g. a gated repository's token requirement
    LICENCE_STEP = ""  # e.g. "after accepting the licence at ..., "

    def __init__(self, name: str | None = None, models_dir: Path | str | None = None, device: str | None = None,
                 allow_download: bool | None = None, num_inference_steps: int | None = None, half: bool = False):
        steps = self.DEFAULT_STEPS if num_inference_steps is None else num_inference_steps
        if steps < 1:
            raise ValueError("num_inference_steps must be at least 1")
        self.name = name or self.NAME
        self.folder = weights_dir(models_dir, self.name)
        self.device = device
        self.allow_download = downloads_allowed(allow_download)
        self.num_inference_steps = steps
        # fp16 halves memory on GPU; off by default because it changes the output and tests run on CPU only
        self.half = half

    # -- what is installed -------------------------------------------------------------------------

    @classmethod
    def missing_parts(cls, folder: Path) -> list[str]:
        """What the diffusers layout lacks: model_index.json, or a component folder the pipeline needs.

        Checked up front because from_pretrained does not always fail on a missing component: without
        tokenizer/ Stable Audio loads a tokenizer from elsewhere that then breaks mid-generation.
        """
        index = folder / "model_index.json"
        if not index.is_file():
            return ["model_index.json"]
        try:
            components = json.loads(index.read_text())
        except ValueError:
            return ["a readable model_index.json"]
        missing = []
        for part, spec in components.items():
            if part.startswith("_") or part in cls.OPTIONAL or not isinstance(spec, list) or None in spec:
                continue  # metadata (_class_name, _diffusers_version) or a component that is not loaded
            sub = folder / part
            if not (sub.is_dir() and any(sub.iterdir())):
                missing.append(f"{part}/")
            elif part in cls.WEIGHTED and not any(any(sub.glob(p)) for p in WEIGHT_PATTERNS):
                missing.append(f"{part}/ weights")
        return missing

    @classmethod
    def has_weights(cls, folder: Path) -> bool:
        return not cls.missing_parts(folder)

    @classmethod
    def missing_packages(cls) -> list[str]:
        return [pin for module, pin in cls.REQUIRED.items() if importlib.util.find_spec(module) is None]

    @classmethod
    def install_hint(cls, folder: Path) -> str:
        missing = cls.missing_parts(folder) if folder.is_dir() else []
        state = (f"are incomplete in {folder} (missing {', '.join(missing)})" if missing and folder.is_dir()
                 and any(folder.iterdir()) else "are not installed")
        token = f" {cls.DOWNLOAD_NOTE}" if cls.DOWNLOAD_NOTE else ""
        return (f"{cls.LABEL} weights {state}: put them in {folder} (on a connected machine, {cls.LICENCE_STEP}"
                f"`huggingface-cli download {cls.REPO} --local-dir {folder}`, then copy the folder here), or set "
                f"SONICAI_ALLOW_DOWNLOADS=1{token} to let the server download {cls.REPO}.")

    def available(self) -> tuple[bool, str]:
        missing = self.missing_packages()
        if missing:
            where = f"weights in {self.folder}" if self.has_weights(self.folder) else self.install_hint(self.folder)
            return False, f"needs `pip install {' '.join(missing)}`; {where}"
        if self.has_weights(self.folder):
            return True, f"weights in {self.folder}"
        if self.allow_download:
            note = f" ({self.DOWNLOAD_NOTE})" if self.DOWNLOAD_NOTE else ""
            return True, f"weights will be downloaded from {self.REPO} on first use{note}"
        return False, self.install_hint(self.folder)

    def _source(self) -> tuple[str, bool]:
        missing = self.missing_packages()
        if missing:
            raise EngineUnavailable(f"{self.name} needs `pip install {' '.join(missing)}`")
        if self.has_weights(self.folder):
            return str(self.folder), True
        if self.allow_download:
            return self.REPO, False
        raise EngineUnavailable(self.install_hint(self.folder))

    def check_request(self, prompt: str, duration: float, melody) -> None:
        """Refuse what no diffusers engine can do, before the model is loaded."""
        if not prompt or not prompt.strip():
            raise ValueError("The prompt is empty.")
        if not duration > 0:
            raise ValueError("duration must be positive")
        if melody is not None:
            raise ValueError(f"{self.name} does not take a melody; use musicgen-melody.")

    # -- loading -----------------------------------------------------------------------------------

    def pipeline_class(self):
        raise NotImplementedError

    def from_pretrained_kwargs(self) -> dict:
        return {}

    def load(self, device: str | None = None):
        """The pipeline, cached across calls for the same model/folder/device/dtype."""
        import torch

        source, local_only = self._source()
        device = torch_device(device or self.device)
        dtype = torch.float16 if (self.half and device.startswith("cuda")) else torch.float32
        key = (self.NAME, source, device, str(dtype))
        with MODEL_CACHE_LOCK:
            if key in MODEL_CACHE:
                return MODEL_CACHE[key]
            MODEL_CACHE.clear()  # one multi-GB model in memory at a time, whichever engine loaded it
            cls = self.pipeline_class()
            try:
                pipe = cls.from_pretrained(source, local_files_only=local_only, dtype=dtype,
                                           **self.from_pretrained_kwargs())
            except (OSError, ValueError) as exc:  # incomplete folder (a component missing) or no cache offline
                raise EngineUnavailable(f"{self.install_hint(self.folder)} ({exc})") from exc
            pipe.to(device)
            # progress goes through the job's callback; tqdm bars would only clutter worker logs
            pipe.set_progress_bar_config(disable=True)
            MODEL_CACHE[key] = pipe
            return pipe
