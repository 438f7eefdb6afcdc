"""Ordered, JSON-described effects chains rendered with pedalboard.

A chain is a list of ``{"type": <effect>, <param>: <value>, ...}`` objects (or a preset name). Users and
the API send arbitrary JSON, so :func:`validate_chain` is strict about names (a typo is an error that names
the field) and lenient about numbers (out-of-range values are clamped, the way a hardware knob stops).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from sonicai.music.audio_io import as_channels, restore
from sonicai.music.errors import MusicInputError

MAX_CHAIN_LENGTH = 32
MAX_EQ_BANDS = 16
MAX_TOTAL_TAIL_SECONDS = 30.0


class EffectsError(MusicInputError):
    """An effects chain that cannot be validated."""


def _p(kind: str, lo: float, hi: float, default: float, unit: str, doc: str = "") -> dict[str, Any]:
    return {"type": kind, "min": lo, "max": hi, "default": default, "unit": unit, "doc": doc}


_TAIL = _p("float", 0.0, 10.0, 0.0, "s", "extra output length for the tail to ring out (0 keeps the input length)")
_MIX = _p("float", 0.0, 1.0, 1.0, "ratio", "wet/dry balance")
_BAND = {
    "kind": {"type": "choice", "choices": ["low_shelf", "high_shelf", "peak"], "default": "peak", "unit": ""},
    "freq_hz": _p("float", 20.0, 20000.0, 1000.0, "Hz"),
    "gain_db": _p("float", -24.0, 24.0, 0.0, "dB"),
    "q": _p("float", 0.1, 18.0, 0.707, ""),
}

#: Every effect type with its parameters: type, min, max, default, unit.
EFFECT_SPECS: dict[str, dict[str, dict[str, Any]]] = {
    "reverb": {
        "room_size": _p("float", 0.0, 1.0, 0.5, "ratio"),
        "damping": _p("float", 0.0, 1.0, 0.5, "ratio"),
        "wet_level": _p("float", 0.0, 1.0, 0.33, "ratio", "level of the reverberation"),
        "dry_level": _p("float", 0.0, 1.0, 0.8, "ratio", "level of the untouched signal (1 leaves it as it was)"),
        "width": _p("float", 0.0, 1.0, 1.0, "ratio"),
        "tail_seconds": _TAIL,
    },
    "eq": {
        "bands": {"type": "bands", "items": _BAND, "max_items": MAX_EQ_BANDS, "default": [], "unit": ""},
    },
    "low_shelf": {"freq_hz": _p("float", 20.0, 20000.0, 200.0, "Hz"), "gain_db": _BAND["gain_db"], "q": _BAND["q"]},
    "high_shelf": {"freq_hz": _p("float", 20.0, 20000.0, 6000.0, "Hz"), "gain_db": _BAND["gain_db"], "q": _BAND["q"]},
    "peak": {"freq_hz": _BAND["freq_hz"], "gain_db": _BAND["gain_db"], "q": _p("float", 0.1, 18.0, 1.0, "")},
    "compressor": {
        "threshold_db": _p("float", -60.0, 0.0, -18.0, "dB"),
        "ratio": _p("float", 1.0, 20.0, 4.0, ":1"),
        "attack_ms": _p("float", 0.1, 200.0, 10.0, "ms"),
        "release_ms": _p("float", 5.0, 2000.0, 150.0, "ms"),
        "makeup_db": _p("float", 0.0, 24.0, 0.0, "dB", "gain after compression"),
    },
    "limiter": {
        "threshold_db": _p("float", -24.0, 0.0, -3.0, "dB", "drive: the limiter adds -threshold dB of make-up gain"),
        "ceiling_db": _p("float", -12.0, 0.0, -1.0, "dBFS", "highest output peak"),
        "release_ms": _p("float", 1.0, 1000.0, 100.0, "ms"),
    },
    "delay": {
        "delay_seconds": _p("float", 0.01, 2.0, 0.25, "s"),
        "feedback": _p("float", 0.0, 0.95, 0.3, "ratio"),
        "mix": _p("float", 0.0, 1.0, 0.25, "ratio"),
        "tail_seconds": _TAIL,
    },
    "chorus": {
        "rate_hz": _p("float", 0.05, 10.0, 1.0, "Hz"),
        "depth": _p("float", 0.0, 1.0, 0.25, "ratio"),
        "centre_delay_ms": _p("float", 1.0, 50.0, 7.0, "ms"),
        "feedback": _p("float", -0.95, 0.95, 0.0, "ratio"),
        "mix": _p("float", 0.0, 1.0, 0.5, "ratio"),
    },
    "distortion": {
        "drive_db": _p("float", 0.0, 60.0, 20.0, "dB"),
        "mix": _MIX,
        "output_db": _p("float", -40.0, 12.0, -6.0, "dB", "level after the clipper"),
    },
    "highpass": {
        "cutoff_hz": _p("float", 20.0, 20000.0, 80.0, "Hz"),
        "poles": _p("int", 1, 4, 2, "x 6 dB/oct"),
    },
    "lowpass": {
        "cutoff_hz": _p("float", 20.0, 20000.0, 8000.0, "Hz"),
        "poles": _p("int", 1, 4, 2, "x 6 dB/oct"),
    },
    "gain": {"gain_db": _p("float", -60.0, 24.0, 0.0, "dB")},
}

#: Named, ready-made chains (validated at import so a typo here fails loudly).
PRESETS: dict[str, list[dict[str, Any]]] = {
    "vocal-polish": [
        {"type": "highpass", "cutoff_hz": 90},
        {"type": "eq", "bands": [
            {"kind": "peak", "freq_hz": 300, "gain_db": -2.5, "q": 1.0},
            {"kind": "peak", "freq_hz": 3500, "gain_db": 2.0, "q": 0.9},
            {"kind": "high_shelf", "freq_hz": 10000, "gain_db": 2.5},
        ]},
        {"type": "compressor", "threshold_db": -20, "ratio": 3, "attack_ms": 5, "release_ms": 120, "makeup_db": 4},
        {"type": "reverb", "room_size": 0.3, "wet_level": 0.12, "dry_level": 0.9, "width": 0.8},
        {"type": "limiter", "threshold_db": -1},
    ],
    "radio": [
        {"type": "highpass", "cutoff_hz": 60},
        {"type": "eq", "bands": [
            {"kind": "low_shelf", "freq_hz": 120, "gain_db": 2.0},
            {"kind": "peak", "freq_hz": 2500, "gain_db": 1.5, "q": 0.8},
            {"kind": "high_shelf", "freq_hz": 9000, "gain_db": 2.0},
        ]},
        {"type": "compressor", "threshold_db": -24, "ratio": 6, "attack_ms": 3, "release_ms": 80, "makeup_db": 8},
        {"type": "limiter", "threshold_db": -0.5, "release_ms": 50},
    ],
    "lofi-tape": [
        {"type": "lowpass", "cutoff_hz": 4500, "poles": 2},
        {"type": "highpass", "cutoff_hz": 70, "poles": 1},
        {"type": "chorus", "rate_hz": 0.4, "depth": 0.15, "centre_delay_ms": 12, "mix": 0.3},
        {"type": "distortion", "drive_db": 6, "mix": 0.3, "output_db": -2},
        {"type": "compressor", "threshold_db": -18, "ratio": 3, "makeup_db": 3},
    ],
    "big-room": [
        {"type": "eq", "bands": [
            {"kind": "low_shelf", "freq_hz": 100, "gain_db": 3.0},
            {"kind": "high_shelf", "freq_hz": 8000, "gain_db": 2.0},
        ]},
        {"type": "compressor", "threshold_db": -16, "ratio": 4, "attack_ms": 10, "makeup_db": 3},
        {"type": "reverb", "room_size": 0.85, "damping": 0.3, "wet_level": 0.3, "dry_level": 0.8, "tail_seconds": 2},
        {"type": "limiter", "threshold_db": -1},
    ],
    "telephone": [
        {"type": "highpass", "cutoff_hz": 400, "poles": 4},
        {"type": "lowpass", "cutoff_hz": 3200, "poles": 4},
        {"type": "peak", "freq_hz": 1500, "gain_db": 4, "q": 1.2},
        {"type": "distortion", "drive_db": 12, "mix": 0.4, "output_db": -3},
    ],
    "warm-master": [
        {"type": "highpass", "cutoff_hz": 25, "poles": 2},
        {"type": "low_shelf", "freq_hz": 150, "gain_db": 1.5},
        {"type": "high_shelf", "freq_hz": 12000, "gain_db": -1.0},
        {"type": "compressor", "threshold_db": -14, "ratio": 2, "attack_ms": 30, "release_ms": 250, "makeup_db": 2},
        {"type": "limiter", "threshold_db": -1, "release_ms": 150},
    ],
    "space-echo": [
        {"type": "delay", "delay_seconds": 0.375, "feedback": 0.45, "mix": 0.35, "tail_seconds": 2},
        {"type": "lowpass", "cutoff_hz": 6000, "poles": 1},
        {"type": "reverb", "room_size": 0.7, "wet_level": 0.25, "dry_level": 0.8, "tail_seconds": 2},
    ],
}


def _number(value: Any, spec: dict[str, Any], where: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise EffectsError(f"{where} must be a number, got {value!r}") from None
        else:
            raise EffectsError(f"{where} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise EffectsError(f"{where} must be a finite number, got {value!r}")
    value = min(max(float(value), spec["min"]), spec["max"])
    return int(round(value)) if spec["type"] == "int" else value


def _params(raw: dict[str, Any], specs: dict[str, dict[str, Any]], where: str, skip: tuple[str, ...] = ()) -> dict:
    unknown = [k for k in raw if k not in specs and k not in skip]
    if unknown:
        raise EffectsError(f"{where}.{unknown[0]} is not a parameter; expected one of: {', '.join(specs)}")
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        field = f"{where}.{name}"
        value = raw.get(name, spec["default"])
        if spec["type"] == "choice":
            if value not in spec["choices"]:
                raise EffectsError(f"{field} must be one of {', '.join(spec['choices'])}, got {value!r}")
            out[name] = value
        elif spec["type"] == "bands":
            if not isinstance(value, list):
                raise EffectsError(f"{field} must be a list of bands")
            if len(value) > spec["max_items"]:
                raise EffectsError(f"{field} has {len(value)} bands; at most {spec['max_items']} allowed")
            bands = []
            for i, band in enumerate(value):
                if not isinstance(band, dict):
                    raise EffectsError(f"{field}[{i}] must be an object")
                bands.append(_params(band, spec["items"], f"{field}[{i}]"))
            out[name] = bands
        else:
            out[name] = _number(value, spec, field)
    return out


def validate_chain(chain: list[dict] | dict | str) -> list[dict]:
    """Normalise a chain: a list of effect objects, a preset name, or ``{"preset": name}`` / ``{"chain": [...]}``.

    Unknown effect types or parameters raise :class:`EffectsError` naming the field; numbers are clamped
    into range and missing parameters get their defaults. Items may carry ``"enabled": false`` to bypass.
    """
    if isinstance(chain, str):
        chain = chain.strip().lower() if chain.strip().lower() in PRESETS else chain  # "Radio" is the radio preset
        if chain not in PRESETS:
            raise EffectsError(f"unknown preset {chain!r}; expected one of: {', '.join(PRESETS)}")
        chain = copy.deepcopy(PRESETS[chain])
    elif isinstance(chain, dict):
        keys = set(chain)
        if keys == {"preset"}:
            return validate_chain(str(chain["preset"]))
        if keys == {"chain"}:
            chain = chain["chain"]
        else:
            raise EffectsError('an effects object must be {"preset": name} or {"chain": [...]}')
    if not isinstance(chain, list):
        raise EffectsError("effects chain must be a list of effect objects or a preset name")
    if len(chain) > MAX_CHAIN_LENGTH:
        raise EffectsError(f"effects chain has {len(chain)} effects; at most {MAX_CHAIN_LENGTH} allowed")
    out = []
    for i, item in enumerate(chain):
        # Counted from 1 and named by type, as the API's range messages name them ("effect 1 (reverb): ...").
        where = f"effect {i + 1}"
        if not isinstance(item, dict):
            raise EffectsError(f"{where} must be an object with a 'type'")
        kind = item.get("type")
        if kind not in EFFECT_SPECS:
            raise EffectsError(f"{where}: {kind!r} is not an effect; expected one of: {', '.join(EFFECT_SPECS)}")
        where = f"{where} ({kind})"
        enabled = item.get("enabled", True)
        if not isinstance(enabled, bool):
            raise EffectsError(f"{where}.enabled must be true or false")
        params = _params(item, EFFECT_SPECS[kind], where, skip=("type", "enabled"))
        out.append({"type": kind, **params, **({} if enabled else {"enabled": False})})
    total_tail = sum(e.get("tail_seconds", 0.0) for e in out)
    if total_tail > MAX_TOTAL_TAIL_SECONDS:
        raise EffectsError(f"tail_seconds add up to {total_tail:g} s; at most {MAX_TOTAL_TAIL_SECONDS:g} s allowed")
    return out


for _name, _chain in PRESETS.items():
    validate_chain(_chain)


def _band_plugin(kind: str, freq: float, gain: float, q: float, sr: int):
    import pedalboard as pb

    # Keep filter corners below Nyquist: at low sample rates a 20 kHz shelf would be unstable.
    freq = min(freq, 0.45 * sr)
    cls = {"low_shelf": pb.LowShelfFilter, "high_shelf": pb.HighShelfFilter, "peak": pb.PeakFilter}[kind]
    return cls(cutoff_frequency_hz=freq, gain_db=gain, q=q)


def _plugins(effect: dict[str, Any], sr: int) -> list:
    import pedalboard as pb

    kind = effect["type"]
    if kind == "reverb":
        # JUCE's reverb doubles its dry level (dry 0.9 would be +5 dB over the input), so "dry 90 %" is
        # handed over as 0.45: the musician's ratio is the untouched signal's gain.
        return [pb.Reverb(room_size=effect["room_size"], damping=effect["damping"], wet_level=effect["wet_level"],
                          dry_level=effect["dry_level"] / 2.0, width=effect["width"])]
    if kind == "eq":
        return [_band_plugin(b["kind"], b["freq_hz"], b["gain_db"], b["q"], sr) for b in effect["bands"]]
    if kind in ("low_shelf", "high_shelf", "peak"):
        return [_band_plugin(kind, effect["freq_hz"], effect["gain_db"], effect["q"], sr)]
    if kind == "compressor":
        plugins = [pb.Compressor(threshold_db=effect["threshold_db"], ratio=effect["ratio"],
                                 attack_ms=effect["attack_ms"], release_ms=effect["release_ms"])]
        return plugins + ([pb.Gain(gain_db=effect["makeup_db"])] if effect["makeup_db"] else [])
    if kind == "limiter":
        # JUCE's limiter normalises its output to 0 dBFS; the ceiling gain puts the peak where the user asked.
        return [pb.Limiter(threshold_db=effect["threshold_db"], release_ms=effect["release_ms"]),
                pb.Gain(gain_db=effect["ceiling_db"])]
    if kind == "delay":
        return [pb.Delay(delay_seconds=effect["delay_seconds"], feedback=effect["feedback"], mix=effect["mix"])]
    if kind == "chorus":
        return [pb.Chorus(rate_hz=effect["rate_hz"], depth=effect["depth"], centre_delay_ms=effect["centre_delay_ms"],
                          feedback=effect["feedback"], mix=effect["mix"])]
    if kind == "distortion":
        wet = pb.Pedalboard([pb.Distortion(drive_db=effect["drive_db"]), pb.Gain(gain_db=effect["output_db"])])
        if effect["mix"] >= 1.0:
            return [wet]
        # Parallel (New York style) distortion: pedalboard.Mix sums its branches, so scale each.
        return [pb.Mix([
            pb.Pedalboard([pb.Gain(gain_db=_db(1.0 - effect["mix"]))]),
            pb.Pedalboard([wet, pb.Gain(gain_db=_db(effect["mix"]))]),
        ])]
    if kind in ("highpass", "lowpass"):
        cls = pb.HighpassFilter if kind == "highpass" else pb.LowpassFilter
        # pedalboard's filters are first-order (6 dB/oct); cascading them gives steeper slopes.
        cutoff = min(effect["cutoff_hz"], 0.45 * sr)
        return [cls(cutoff_frequency_hz=cutoff) for _ in range(effect["poles"])]
    if kind == "gain":
        return [pb.Gain(gain_db=effect["gain_db"])]
    raise EffectsError(f"no renderer for effect type {kind!r}")


def _db(ratio: float) -> float:
    return 20.0 * math.log10(max(ratio, 1e-6))


def apply_chain(audio: np.ndarray, sr: int, chain: list[dict] | dict | str) -> np.ndarray:
    """Render ``audio`` through the (validated) chain in order.

    The output has the input's length plus the sum of the enabled effects' ``tail_seconds`` (0 by default).
    """
    import pedalboard as pb

    effects = validate_chain(chain)
    x, was_mono = as_channels(audio)
    # A bypassed effect adds no tail: a disabled 10-s reverb made the song 10 s of silence longer.
    tail = int(round(sum(e.get("tail_seconds", 0.0) for e in effects if e.get("enabled", True)) * sr))
    if tail:
        x = np.pad(x, ((0, 0), (0, tail)))
    plugins = [p for e in effects if e.get("enabled", True) for p in _plugins(e, sr)]
    if not plugins:
        return restore(x.copy(), was_mono)
    y = pb.Pedalboard(plugins)(x, float(sr))
    return restore(np.ascontiguousarray(y, dtype=np.float32), was_mono)
