"""Engines by name, what is installed, and which one is the default."""

from __future__ import annotations

from pathlib import Path

from .base import EngineUnavailable, SeparationEngine
from .demucs_engine import MODELS as DEMUCS_MODELS
from .demucs_engine import DemucsEngine
from .hpss import HPSSEngine
from .spleeter_engine import SpleeterEngine, SpleeterStemsEngine

#: The offline default: Spleeter 2stems (in its wheel) with our split network; always installed.
OFFLINE_DEFAULT = "spleeter"
DEFAULT_ENGINE = OFFLINE_DEFAULT
SPLEETER_STEMS_ENGINES = {"spleeter-4stems": "4stems", "spleeter-5stems": "5stems"}
ENGINE_NAMES = [OFFLINE_DEFAULT, *SPLEETER_STEMS_ENGINES, *DEMUCS_MODELS, "hpss"]
#: Best first: the default is the first of these that is installed (4-stem engines only; the 5- and 6-stem ones
#: split differently rather than better, and are chosen by name).
PREFERENCE = ("htdemucs_ft", "htdemucs", "spleeter-4stems", OFFLINE_DEFAULT)
_CACHE: dict[tuple, SeparationEngine] = {}


def get_engine(name: str, models_dir: Path | None = None, device: str | None = None) -> SeparationEngine:
    """One engine object per (name, models_dir, device) and process; their networks stay loaded between jobs
    (``sonicai.music.loaded``). ``device`` as :func:`sonicai.music.device.torch_device` reads it ('auto' or None:
    the GPU when there is one)."""
    key = (name, str(models_dir), device or "auto")
    if key not in _CACHE:
        if name == OFFLINE_DEFAULT:
            engine = SpleeterEngine(device=device, models_dir=models_dir)
        elif name in SPLEETER_STEMS_ENGINES:
            engine = SpleeterStemsEngine(SPLEETER_STEMS_ENGINES[name], models_dir=models_dir, device=device)
        elif name in DEMUCS_MODELS:
            engine = DemucsEngine(name, models_dir=models_dir, device=device)
        elif name == "hpss":
            engine = HPSSEngine()
        else:
            raise EngineUnavailable(f"Unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}.")
        _CACHE[key] = engine
    return _CACHE[key]


def default_engine(models_dir: Path | None = None, available: dict[str, bool] | None = None) -> str:
    """The best installed engine (``PREFERENCE``); ``available`` saves asking the engines again."""
    for name in PREFERENCE:
        ok = available[name] if available is not None else get_engine(name, models_dir).available()[0]
        if ok:
            return name
    return OFFLINE_DEFAULT


def list_engines(models_dir: Path | None = None) -> list[dict]:
    rows = []
    for name in ENGINE_NAMES:
        engine = get_engine(name, models_dir)
        ok, message = engine.available()
        rows.append({"name": name, "stems": list(engine.stems), "available": ok, "message": message,
                     "description": engine.description})
    default = default_engine(available={r["name"]: r["available"] for r in rows})
    for row in rows:
        row["default"] = row["name"] == default
    return rows
