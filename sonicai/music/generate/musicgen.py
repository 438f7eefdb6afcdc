"""MusicGen (small, medium, large, melody) through Hugging Face transformers, offline by default.

Weights are read from ``<models_dir>/musicgen/<name>`` (a ``save_pretrained`` / ``huggingface-cli download``
folder). Only when downloads are allowed (``allow_download=True`` or ``SONICAI_ALLOW_DOWNLOADS=1``) does a
missing folder fall back to ``from_pretrained("facebook/<name>")``; otherwise every load passes
``local_files_only=True`` so nothing reaches a hub at run time.

Long pieces: MusicGen is trained on 30 s clips, so longer durations are made window by window. Each new
window is prompted with the last ``overlap_seconds`` of EnCodec codes of the audio so far (passed as
``decoder_input_ids``, the same path transformers uses for audio prompts), its re-decoded prompt region is
cross-faded over the previous tail, and the result is trimmed to the exact duration in samples.

Determinism: the torch RNG is seeded with ``seed`` (inside ``torch.random.fork_rng`` so the caller's RNG
state is untouched) before the first window; the same seed, model, device and dtype give the same audio
on CPU. On CUDA, cuBLAS/cuDNN kernels and fp16 accumulation order may differ between GPU models, driver
versions and batch layouts, so results there are repeatable on one machine but not bit-identical across
machines (and differ from the CPU result).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sonicai.music.device import torch_device
from sonicai.music.progress import Progress, throttled

from .base import MODEL_CACHE, MODEL_CACHE_LOCK, EngineUnavailable, GenerationOutput, downloads_allowed


@dataclass(frozen=True)
class MusicGenModel:
    name: str
    repo: str
    params: str
    download: str
    melody: bool
    speed_class: str


# Sizes are the published parameter counts and the approximate size of the fp32 safetensors in the
# facebook/* repositories (text encoder + EnCodec + decoder).
MODELS: dict[str, MusicGenModel] = {
    "musicgen-small": MusicGenModel("musicgen-small", "facebook/musicgen-small", "300M params", "≈2.4 GB",
                                    False, "GPU recommended (≈5-10x slower than real time on a laptop CPU)"),
    "musicgen-medium": MusicGenModel("musicgen-medium", "facebook/musicgen-medium", "1.5B params", "≈8 GB",
                                     False, "GPU required in practice (≥16 GB VRAM)"),
    "musicgen-large": MusicGenModel("musicgen-large", "facebook/musicgen-large", "3.3B params", "≈16 GB",
                                    False, "GPU required in practice (≥24 GB VRAM)"),
    "musicgen-melody": MusicGenModel("musicgen-melody", "facebook/musicgen-melody", "1.5B params", "≈6 GB",
                                     True, "GPU required in practice (≥16 GB VRAM)"),
}

WEIGHT_PATTERNS = ("*.safetensors", "*.bin")

# One loaded model at a time, across engines (see base.MODEL_CACHE); the old names stay for callers and tests.
_CACHE = MODEL_CACHE
_CACHE_LOCK = MODEL_CACHE_LOCK


def weights_dir(models_dir: Path | str | None, name: str) -> Path:
    root = Path(models_dir) if models_dir is not None else Path("models")
    return root / "musicgen" / name


def has_weights(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(any(folder.glob(p)) for p in WEIGHT_PATTERNS)


def install_hint(name: str, folder: Path) -> str:
    repo = MODELS[name].repo if name in MODELS else f"facebook/{name}"
    return (f"MusicGen weights for {name!r} are not installed: put them in {folder} "
            f"(on a connected machine: `huggingface-cli download {repo} --local-dir {folder}`, then copy the "
            f"folder here), or set SONICAI_ALLOW_DOWNLOADS=1 to let the server download {repo}.")


def melody_chroma(wave: np.ndarray, sr: int, target_sr: int = 32000, n_fft: int = 16384, hop_length: int = 4096,
                  num_chroma: int = 12) -> np.ndarray:
    """One-hot dominant-pitch-class chroma (frames, num_chroma) float32, the conditioning MusicGen-melody reads.

    Hand-written instead of MusicgenMelodyFeatureExtractor because that class requires torchaudio, which
    this build does not ship. Same recipe: power STFT (Hann, centred), the librosa chroma filter bank,
    then the loudest pitch class per frame set to 1 and the rest to 0.
    """
    import librosa
    from transformers.audio_utils import chroma_filter_bank

    mono = np.asarray(wave, dtype=np.float32)
    if mono.ndim == 2:
        mono = mono.mean(axis=0)
    if sr != target_sr:
        mono = librosa.resample(mono, orig_sr=sr, target_sr=target_sr, res_type="soxr_hq")
    if mono.shape[-1] < n_fft:
        pad = n_fft - mono.shape[-1]
        mono = np.pad(mono, (pad // 2, pad - pad // 2))
    spec = np.abs(librosa.stft(mono, n_fft=n_fft, hop_length=hop_length, window="hann", center=True,
                               pad_mode="reflect")) ** 2
    filters = chroma_filter_bank(sampling_rate=target_sr, num_frequency_bins=n_fft, tuning=0, num_chroma=num_chroma)
    raw = filters.astype(np.float32) @ spec.astype(np.float32)  # (chroma, frames)
    onehot = np.zeros_like(raw.T)
    onehot[np.arange(raw.shape[1]), raw.argmax(axis=0)] = 1.0
    return onehot.astype(np.float32)


class _StepHook:
    """A StoppingCriteria that never stops generation: it counts decoding steps for progress and keeps the
    latest token matrix, because ``generate()`` returns decoded audio only and continuation needs the codes.

    transformers calls stopping criteria once per step, after the new tokens are appended, with the full
    (delayed) ``input_ids``; returning all-False leaves the stop decision to ``max_new_tokens``.
    """

    def __init__(self, on_step=None):
        self.steps = 0
        self.last_ids = None
        self.on_step = on_step

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        self.steps += 1
        self.last_ids = input_ids
        if self.on_step is not None:
            self.on_step(self.steps)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


class MusicGenEngine:
    """Text (and optionally melody) to music with one MusicGen checkpoint."""

    engine = "musicgen"

    def __init__(self, name: str = "musicgen-small", models_dir: Path | str | None = None, device: str | None = None,
                 allow_download: bool | None = None, window_seconds: float = 30.0, overlap_seconds: float = 10.0,
                 crossfade_seconds: float = 0.1, half: bool = False):
        if not 0 < overlap_seconds < window_seconds:
            raise ValueError("overlap_seconds must be positive and shorter than window_seconds")
        self.name = name
        self.folder = weights_dir(models_dir, name)
        self.device = device
        self.allow_download = downloads_allowed(allow_download)
        self.window_seconds = window_seconds
        self.overlap_seconds = overlap_seconds
        self.crossfade_seconds = crossfade_seconds
        # fp16 halves memory and roughly doubles speed on recent GPUs; off by default because it changes
        # the output and has only been exercised on CPU in this build's tests.
        self.half = half

    # -- availability and loading ------------------------------------------------------------------

    def available(self) -> tuple[bool, str]:
        if has_weights(self.folder):
            return True, f"weights in {self.folder}"
        if self.allow_download:
            return True, f"weights will be downloaded from {self._repo()} on first use"
        return False, install_hint(self.name, self.folder)

    def _repo(self) -> str:
        return MODELS[self.name].repo if self.name in MODELS else f"facebook/{self.name}"

    def _source(self) -> tuple[str, bool]:
        if has_weights(self.folder):
            return str(self.folder), True
        if self.allow_download:
            return self._repo(), False
        raise EngineUnavailable(install_hint(self.name, self.folder))

    def _is_melody(self, source: str, local_only: bool) -> bool:
        if local_only:
            model_type = json.loads((Path(source) / "config.json").read_text()).get("model_type", "")
            return model_type == "musicgen_melody"
        return MODELS.get(self.name, MODELS["musicgen-small"]).melody

    def load(self, device: str | None = None):
        """(model, tokenizer-or-processor, is_melody), cached across calls for the same folder/device/dtype."""
        import torch

        source, local_only = self._source()
        device = torch_device(device or self.device)
        dtype = torch.float16 if (self.half and device.startswith("cuda")) else torch.float32
        key = (source, device, str(dtype))
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
            _CACHE.clear()
            melody = self._is_melody(source, local_only)
            try:
                if melody:
                    from transformers import AutoTokenizer, MusicgenMelodyForConditionalGeneration

                    model = MusicgenMelodyForConditionalGeneration.from_pretrained(
                        source, local_files_only=local_only, dtype=dtype)
                    # the melody processor needs torchaudio; its tokenizer half is all the text side needs
                    text_proc = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
                else:
                    from transformers import AutoProcessor, MusicgenForConditionalGeneration

                    model = MusicgenForConditionalGeneration.from_pretrained(
                        source, local_files_only=local_only, dtype=dtype)
                    text_proc = AutoProcessor.from_pretrained(source, local_files_only=local_only)
            except OSError as exc:  # incomplete folder (e.g. tokenizer files missing) or no cache offline
                raise EngineUnavailable(f"{install_hint(self.name, self.folder)} ({exc})") from exc
            model.to(device).eval()
            _CACHE[key] = (model, text_proc, melody)
            return _CACHE[key]

    # -- generation --------------------------------------------------------------------------------

    def generate(self, prompt: str, duration: float, seed: int, guidance_scale: float = 3.0, temperature: float = 1.0,
                 top_k: int = 250, melody: tuple[np.ndarray, int] | None = None, progress: Progress | None = None,
                 device: str | None = None) -> GenerationOutput:
        import torch
        from transformers import StoppingCriteriaList

        if not prompt or not prompt.strip():
            raise ValueError("The prompt is empty.")
        if not duration > 0:
            raise ValueError("duration must be positive")
        report = throttled(progress)
        report(0.01, "loading model")
        t0 = time.perf_counter()
        model, text_proc, is_melody = self.load(device)
        load_s = time.perf_counter() - t0
        if melody is not None and not is_melody:
            raise ValueError(f"{self.name} does not take a melody; use musicgen-melody.")
        dev = model.device

        sr = int(model.config.audio_encoder.sampling_rate)
        hop = int(np.prod(model.config.audio_encoder.upsampling_ratios))
        frame_rate = sr / hop
        num_codebooks = model.decoder.config.num_codebooks
        stereo = model.decoder.config.audio_channels == 2
        # codebook k is delayed by k steps (stereo: left/right pairs share a delay)
        delays = [k // 2 if stereo else k for k in range(num_codebooks)]
        max_delay = max(delays)

        n_samples = int(round(duration * sr))
        total_frames = math.ceil(n_samples / hop)
        window = max(2, int(round(self.window_seconds * frame_rate)))
        overlap = max(1, min(window - 1, int(round(self.overlap_seconds * frame_rate))))
        plan = _window_plan(total_frames, window, overlap)
        steps_total = sum(n + max_delay for _, n in plan)

        if is_melody:
            text_inputs = text_proc([prompt], padding=True, return_tensors="pt")
        else:
            text_inputs = text_proc(text=[prompt], padding=True, return_tensors="pt")
        text_inputs = {k: v.to(dev) for k, v in text_inputs.items()}
        chroma = None
        if melody is not None:
            chroma = melody_chroma(melody[0], int(melody[1]), target_sr=32000, num_chroma=model.config.num_chroma)
            chroma_rate = 32000 / 4096

        sample_kwargs = {"do_sample": temperature > 0, "guidance_scale": guidance_scale}
        if temperature > 0:
            sample_kwargs.update(temperature=temperature, top_k=top_k)

        codes = None  # (num_codebooks, frames) of everything generated so far
        audio = None  # (channels, samples)
        steps_done = 0
        t_gen = time.perf_counter()
        devices = [dev.index or 0] if dev.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(seed)
            for i, (prompt_frames, new_frames) in enumerate(plan):
                label = f"generating window {i + 1}/{len(plan)}"

                def on_step(step, _base=steps_done, _label=label):
                    report(0.05 + 0.90 * (_base + step) / steps_total, _label)

                hook = _StepHook(on_step)
                kwargs = dict(text_inputs)
                if prompt_frames:
                    kwargs["decoder_input_ids"] = codes[:, -prompt_frames:].to(dev)
                if chroma is not None:
                    # the window's chroma starts where the window starts in the piece (its prompt included)
                    window_start = (codes.shape[1] - prompt_frames) if codes is not None else 0
                    first = int(window_start / frame_rate * chroma_rate)
                    piece = chroma[first:first + model.config.chroma_length]
                    if len(piece) == 0:  # melody shorter than the piece: loop it, as the model pads chroma
                        piece = chroma[: model.config.chroma_length]
                    kwargs["input_features"] = torch.from_numpy(piece[None]).to(dev, model.dtype)
                out = model.generate(**kwargs, max_new_tokens=new_frames + max_delay,
                                     stopping_criteria=StoppingCriteriaList([hook]), **sample_kwargs)
                steps_done += new_frames + max_delay
                new_codes = _undelay(hook.last_ids, delays, prompt_frames, new_frames)
                wav = out[0].float().cpu().numpy()
                codes = new_codes if codes is None else torch.cat([codes, new_codes], dim=1)
                audio = wav if audio is None else _stitch(audio, wav, prompt_frames * hop,
                                                          int(round(self.crossfade_seconds * sr)))
        gen_s = time.perf_counter() - t_gen
        report(0.97, "finishing")

        audio = np.ascontiguousarray(audio[:, :n_samples], dtype=np.float32)
        if audio.shape[1] < n_samples:  # the codec output is frames*hop long; never shorter unless the model misbehaves
            raise RuntimeError(f"MusicGen produced {audio.shape[1]} samples, expected {n_samples}")
        summary = {
            "engine": "musicgen", "model": self.name, "device": str(dev),
            "dtype": str(model.dtype).replace("torch.", ""),
            "seed": seed, "duration": n_samples / sr, "sr": sr, "guidance_scale": guidance_scale,
            "temperature": temperature, "top_k": top_k, "windows": len(plan), "frames": int(codes.shape[1]),
            "melody_conditioned": melody is not None, "load_s": round(load_s, 3), "generate_s": round(gen_s, 3),
            "realtime_factor": round(gen_s / max(duration, 1e-9), 3),
        }
        report(1.0, "done")
        return GenerationOutput(audio, sr, summary)


def _window_plan(total_frames: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """[(prompt_frames, new_frames), ...] covering total_frames: a full first window, then windows that
    re-read ``overlap`` frames and add ``window - overlap`` new ones."""
    plan = [(0, min(window, total_frames))]
    made = plan[0][1]
    while made < total_frames:
        new = min(window - overlap, total_frames - made)
        plan.append((overlap, new))
        made += new
    return plan


def _undelay(ids, delays: list[int], prompt_frames: int, new_frames: int):
    """Newly generated codes (num_codebooks, new_frames) from the delayed token matrix of one generate() call.

    Row k holds the start token, then codebook k's frame t at column 1 + delay_k + t. Prompt frames are
    taken from the prompt itself by the caller: in the raw matrix their delayed copies can be overwritten
    by samples that generate() later masks out.
    """
    import torch

    rows = [ids[k, 1 + d + prompt_frames: 1 + d + prompt_frames + new_frames] for k, d in enumerate(delays)]
    out = torch.stack(rows).cpu()
    if out.shape[1] != new_frames:
        raise RuntimeError(f"expected {new_frames} new frames, got {out.shape[1]}")
    return out


def _stitch(audio: np.ndarray, wav: np.ndarray, prompt_samples: int, fade: int) -> np.ndarray:
    """Append a continuation window whose first ``prompt_samples`` re-decode the tail of ``audio``.

    Both sides of the join decode the same codes, so a short linear cross-fade just before the join hides
    the codec's edge effects without comb filtering; the new window's re-decode is preferred because it
    saw the audio that follows.
    """
    fade = max(0, min(fade, prompt_samples, audio.shape[1]))
    head = audio[:, : audio.shape[1] - fade]
    parts = [head]
    if fade:
        w = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        parts.append(audio[:, audio.shape[1] - fade:] * (1 - w) + wav[:, prompt_samples - fade: prompt_samples] * w)
    parts.append(wav[:, prompt_samples:])
    return np.concatenate(parts, axis=1)
