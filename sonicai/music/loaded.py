"""Models kept loaded between jobs, under a memory cap per device, and the memory given back after a failure.

A worker runs job after job; loading a model for each (seconds for Demucs, a minute for MusicGen-large) would
waste most of the time, and keeping every model ever used would fill the GPU. ``LOADED`` keeps what engines load,
keyed by what they load and on which device; when a device's models together pass its cap, the least recently
used ones are dropped (their memory freed once no running job holds them). The cap is
``SONICAI_MODEL_MEMORY_GB`` per device, or by default 70 % of the GPU's memory and 50 % of the machine's RAM.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
GPU_SHARE, RAM_SHARE = 0.70, 0.50


def device_kind(device: str) -> str:
    return "cuda" if str(device).startswith("cuda") else "cpu"


def model_bytes(obj: Any) -> int:
    """Bytes of the parameters and buffers of a torch module, of a diffusers pipeline's modules, or of the
    modules in a tuple/list (e.g. (model, processor, flag))."""
    import torch

    if isinstance(obj, torch.nn.Module):
        tensors = [*obj.parameters(), *obj.buffers()]
        return sum(t.numel() * t.element_size() for t in tensors)
    if isinstance(obj, (tuple, list)):
        return sum(model_bytes(o) for o in obj)
    components = getattr(obj, "components", None)
    if isinstance(components, dict):
        return sum(model_bytes(c) for c in components.values())
    return 0


def default_cap(kind: str) -> int:
    if kind == "cuda":
        import torch

        if torch.cuda.is_available():
            return int(torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory * GPU_SHARE)
        return 0
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * RAM_SHARE)
    except (ValueError, OSError, AttributeError):
        return 8 << 30


class LoadedModels:
    """An LRU of loaded models with a byte cap per device kind ("cuda", "cpu")."""

    def __init__(self, cap_bytes: int | None = None):
        self._items: OrderedDict[tuple, tuple[Any, int, str]] = OrderedDict()
        self._lock = threading.RLock()
        self.cap_bytes = cap_bytes  # None: default_cap per device

    def configure(self, cap_bytes: int | None) -> None:
        with self._lock:
            self.cap_bytes = cap_bytes

    def cap(self, kind: str) -> int:
        return self.cap_bytes if self.cap_bytes is not None else default_cap(kind)

    def used(self, kind: str) -> int:
        return sum(size for _, size, k in self._items.values() if k == kind)

    def get(self, key: tuple, load: Callable[[], T], device: str, size_hint: int = 0) -> T:
        """The model for ``key`` (loaded by ``load`` on ``device`` when not kept). ``size_hint``, when known,
        makes room before loading so two large models never sit in memory at once."""
        kind = device_kind(device)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            if size_hint:
                self._evict(kind, size_hint)
            model = load()
            size = model_bytes(model)
            self._evict(kind, size)
            self._items[key] = (model, size, kind)
            log.info("loaded %s on %s (%.0f MB; %.0f of %.0f MB kept on %s)", key[0], device, size / 1e6,
                     self.used(kind) / 1e6, self.cap(kind) / 1e6, kind)
            return model

    def _evict(self, kind: str, incoming: int) -> None:
        cap = self.cap(kind)
        for key in [k for k, (_, _, k_kind) in self._items.items() if k_kind == kind]:
            if self.used(kind) + incoming <= cap:
                break
            del self._items[key]
            log.info("dropped %s from %s memory (least recently used; cap %.0f MB)", key[0], kind, cap / 1e6)
        if incoming > cap:
            log.warning("a model of %.0f MB is over the %s cap of %.0f MB (SONICAI_MODEL_MEMORY_GB); kept anyway",
                        incoming / 1e6, kind, cap / 1e6)
        release_memory()

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
        release_memory()

    def keys(self) -> list[tuple]:
        with self._lock:
            return list(self._items)

    def __contains__(self, key: tuple) -> bool:
        return key in self._items


#: The process' one cache, shared by every engine (they share the device's memory).
LOADED = LoadedModels()


def release_memory() -> None:
    """Free what nothing references any more: Python's cycles, then the CUDA allocator's cached blocks. Never
    imports torch itself (a web process has no reason to)."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def is_out_of_memory(exc: BaseException) -> bool:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()


def after_failure(exc: BaseException) -> None:
    """After a failed job: drop the exception's frames (they hold the job's tensors), keep no model if the
    device ran out of memory, and give the memory back to the device."""
    import traceback

    if exc.__traceback__ is not None:
        traceback.clear_frames(exc.__traceback__)
    if is_out_of_memory(exc):
        LOADED.clear()
    release_memory()
