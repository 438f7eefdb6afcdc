"""Riffusion v1 through Hugging Face diffusers (``StableDiffusionPipeline``), offline by default.

riffusion/riffusion-model-v1 is a Stable Diffusion 1.5 fine-tune that draws 512x512 mel spectrogram images.
Weights are read from ``<models_dir>/riffusion-v1``: the folder ``huggingface-cli download
riffusion/riffusion-model-v1 --local-dir ...`` makes (model_index.json plus unet/, vae/, text_encoder/,
tokenizer/, scheduler/). The safety checker it also ships is never loaded: it judges pictures for people, and
a spectrogram it flags would be blacked out into silence. Only when downloads are allowed
(``allow_download=True`` or ``SONICAI_ALLOW_DOWNLOADS=1``) does a missing folder fall back to
``from_pretrained("riffusion/riffusion-model-v1")``; otherwise loading passes ``local_files_only=True``.

Image to audio (written here, parameters from Riffusion's published converter): a column is 10 ms (hop 441
at 44.1 kHz), a row is one of 512 HTK mel bins from 0 to 10 kHz. The image is flipped vertically, inverted
(255 - pixel), raised to 1/0.25 and scaled to 30e6, giving STFT magnitudes (window 100 ms, FFT 400 ms) on the
mel scale; a non-negative pseudo-inverse of the mel filterbank takes them back to linear frequency and
Griffin-Lim (32 iterations) estimates the phase. A pipeline whose images are not 512 rows high (the tests'
tiny one) has its rows resampled to 512 bins, so the conversion always uses the real parameters.

Length: one 512-wide image is 5.12 s. Longer pieces are several images drawn with consecutive seeds (seed,
seed + 1, ...) and crossfaded. This is NOT continuation: each image is an independent sample from the same
prompt, so the crossfades join related but unrelated-in-time clips. Requests over MAX_SECONDS are refused.

Determinism: the initial noise of image i comes from a CPU ``torch.Generator`` seeded with ``seed + i``, and
the global torch RNG is forked (and seeded) around the call so the caller's RNG state is untouched; Griffin-Lim
starts from a fixed phase (librosa's ``init=None``), so the same seed gives the same audio on CPU.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

import numpy as np

from sonicai.music.progress import Progress, throttled

from .base import GenerationOutput
from .diffusers_engine import DiffusersEngine

NAME = "riffusion-v1"
REPO = "riffusion/riffusion-model-v1"
REQUIRED = {"diffusers": "diffusers==0.42.1"}
MAX_SECONDS = 30.0  # six to seven crossfaded images; beyond that the lack of continuation dominates

# Riffusion's spectrogram parameters (riffusion/spectrogram_params.py and spectrogram_image_converter.py)
SAMPLE_RATE = 44100
HOP_LENGTH = 441  # 10 ms step: one image column
WIN_LENGTH = 4410  # 100 ms window
N_FFT = 17640  # the window zero-padded to 400 ms
N_MELS = 512  # one image row each
MEL_FMIN, MEL_FMAX = 0.0, 10000.0
IMAGE_POWER = 0.25
MAX_VALUE = 30e6
GRIFFIN_LIM_ITERS = 32
CROSSFADE_SECONDS = 0.5
PEAK = 10 ** (-1 / 20)  # -1 dBFS: the spectrogram scale is arbitrary, so each clip is peak-normalised

# The pipeline's scheduler keeps per-call state (timesteps, step index), so two jobs must not denoise through
# the same cached pipeline at once.
_RUN_LOCK = threading.Lock()

# -- spectrogram image <-> audio -----------------------------------------------------------------------


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + hz / 700.0)  # the HTK formula Riffusion's torchaudio filterbank uses


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    """(512, 8821) triangular HTK filterbank without area normalisation, as torchaudio's MelScale(norm=None).

    Built here rather than with librosa.filters.mel: same filters, but vectorised it takes milliseconds
    instead of over a second, and it does not warn about the lowest bins being narrower than the 2.5 Hz FFT
    resolution (a few filters are empty, which the pseudo-inverse handles).
    """
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.float64(MEL_FMIN)), _hz_to_mel(np.float64(MEL_FMAX)), N_MELS + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_hz[None, :] - lower) / (centre - lower)
    falling = (upper - fft_hz[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


@lru_cache(maxsize=1)
def _mel_pinv() -> np.ndarray:
    """(8821, 512) non-clipped pseudo-inverse of the filterbank; bins above 10 kHz map to zero.

    A pseudo-inverse instead of librosa's NNLS mel_to_stft: NNLS over 8821 bins x 512 columns takes minutes on
    CPU, one matrix product takes milliseconds; negative results are clipped by the caller. Only the bins the
    filters cover enter, through B^T (B B^T)^+: a 512 x 512 eigenproblem instead of an SVD of the whole
    filterbank, the same matrix to float32 precision in a seventh of the time.
    """
    basis = _mel_basis()
    used = int(np.nonzero(basis.any(axis=0))[0].max()) + 1
    inverse = np.zeros((basis.shape[1], basis.shape[0]), dtype=np.float32)
    covered = basis[:, :used].astype(np.float64)
    inverse[:used] = covered.T @ np.linalg.pinv(covered @ covered.T, rcond=1e-12, hermitian=True)
    return inverse


def mel_from_audio(audio: np.ndarray) -> np.ndarray:
    """Mel magnitude spectrogram (512, frames) of mono 44.1 kHz audio with Riffusion's parameters."""
    import librosa

    # Riffusion reads 16-bit samples as integers, which is the scale MAX_VALUE is set for
    samples = np.asarray(audio, np.float32) * 32768.0
    stft = np.abs(librosa.stft(samples, n_fft=N_FFT, hop_length=HOP_LENGTH,
                               win_length=WIN_LENGTH, window="hann", center=True))
    return _mel_basis() @ stft


def image_from_mel(mel: np.ndarray) -> np.ndarray:
    """The uint8 (512, frames) image Riffusion draws for a mel magnitude spectrogram (low frequencies at the
    bottom, loud is dark); used to test the inversion and to document the mapping image_to_mel undoes."""
    data = np.power(np.clip(mel / MAX_VALUE, 0.0, 1.0), IMAGE_POWER) * 255
    return np.flipud(255 - data).round().astype(np.uint8)


def image_to_mel(image: np.ndarray) -> np.ndarray:
    """Mel magnitudes (512, width) from an image: (height, width) grayscale or (height, width, 3) RGB, in
    0-255 (uint8 or float). Heights other than 512 are resampled to 512 mel rows."""
    data = np.asarray(image, dtype=np.float32)
    if data.ndim == 3:
        data = data.mean(axis=2)  # the model draws grey; averaging the channels only smooths colour noise
    data = np.flipud(data)  # row 0 of the image is the top, i.e. the highest mel bin
    if data.shape[0] != N_MELS:
        # a pipeline drawing smaller images (the tests' tiny one): stretch rows over the real mel axis
        src = np.linspace(0.0, 1.0, data.shape[0])
        dst = np.linspace(0.0, 1.0, N_MELS)
        data = np.stack([np.interp(dst, src, col) for col in data.T], axis=1)
    data = np.clip((255.0 - data) / 255.0, 0.0, 1.0)
    return np.power(data, 1.0 / IMAGE_POWER) * MAX_VALUE


def audio_from_image(image: np.ndarray, n_iter: int = GRIFFIN_LIM_ITERS) -> np.ndarray:
    """Mono float32 audio (width * 441 samples at 44.1 kHz) from a Riffusion spectrogram image."""
    import librosa

    mel = image_to_mel(image)
    n_samples = mel.shape[1] * HOP_LENGTH
    # centred framing has one frame more than width columns for width * 441 samples: repeat the last column
    mel = np.concatenate([mel, mel[:, -1:]], axis=1)
    linear = np.maximum(_mel_pinv() @ mel, 0.0)
    # init=None starts from zero phase rather than random phase, so the result depends on the image alone
    audio = librosa.griffinlim(linear, n_iter=n_iter, hop_length=HOP_LENGTH, win_length=WIN_LENGTH, n_fft=N_FFT,
                               window="hann", center=True, init=None, length=n_samples)
    return audio.astype(np.float32) / 32768.0


def _normalise(audio: np.ndarray) -> np.ndarray:
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    return audio * (PEAK / peak) if peak > 1e-12 else audio


def crossfade_join(clips: list[np.ndarray], overlap: int) -> np.ndarray:
    """Join mono clips, each overlapping the previous by ``overlap`` samples with an equal-power crossfade
    (the clips are uncorrelated, so equal power keeps the loudness steady through the join)."""
    out = clips[0]
    if overlap > 0:
        t = np.linspace(0.0, np.pi / 2, overlap, dtype=np.float32)
        fade_in, fade_out = np.sin(t), np.cos(t)
    for clip in clips[1:]:
        if overlap > 0:
            mixed = out[-overlap:] * fade_out + clip[:overlap] * fade_in
            out = np.concatenate([out[:-overlap], mixed, clip[overlap:]])
        else:
            out = np.concatenate([out, clip])
    return out


class RiffusionEngine(DiffusersEngine):
    """Text to music with Riffusion v1: Stable Diffusion draws mel spectrograms, Griffin-Lim makes them sound."""

    NAME = NAME
    REPO = REPO
    LABEL = "Riffusion"
    REQUIRED = REQUIRED
    # components without which the pipeline cannot draw; the safety checker and feature extractor are not loaded
    WEIGHTED = ("unet", "vae", "text_encoder")
    OPTIONAL = ("safety_checker", "feature_extractor", "image_encoder")
    DEFAULT_STEPS = 50  # the pipeline's default, as Riffusion's app uses

    def pipeline_class(self):
        from diffusers import StableDiffusionPipeline

        return StableDiffusionPipeline

    def from_pretrained_kwargs(self) -> dict:
        # no safety checker: it would black out spectrograms it mistakes for unsafe pictures
        return {"safety_checker": None, "requires_safety_checker": False}

    # -- generation --------------------------------------------------------------------------------

    def generate(self, prompt: str, duration: float, seed: int, guidance_scale: float = 7.0, temperature: float = 1.0,
                 top_k: int = 250, melody: tuple[np.ndarray, int] | None = None, progress: Progress | None = None,
                 device: str | None = None, negative_prompt: str | None = None) -> GenerationOutput:
        # temperature and top_k are token-sampling knobs of autoregressive models; a diffusion model has none
        import torch

        self.check_request(prompt, duration, melody)
        if duration > MAX_SECONDS:
            raise ValueError(f"{self.name} makes at most {MAX_SECONDS:.0f} s in one piece; ask for "
                             f"{int(MAX_SECONDS)} s or less, or use a MusicGen model or the composer.")
        report = throttled(progress)
        report(0.01, "loading model")
        t0 = time.perf_counter()
        pipe = self.load(device)
        load_s = time.perf_counter() - t0

        sr = SAMPLE_RATE
        n_samples = int(round(duration * sr))
        # the pipeline's native image size: 512x512 for the real model; each column is 10 ms whatever the size
        height = width = int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
        clip_len = width * HOP_LENGTH
        overlap = min(int(CROSSFADE_SECONDS * sr), clip_len // 4)
        n_clips = 1 if n_samples <= clip_len else 1 + int(np.ceil((n_samples - clip_len) / (clip_len - overlap)))
        steps = self.num_inference_steps
        total = n_clips * steps
        done = [0]

        def on_step(_pipe, _step: int, _t, kwargs: dict) -> dict:
            done[0] += 1
            report(0.05 + 0.80 * done[0] / total, f"denoising step {done[0]}/{total}")
            return kwargs

        dev = pipe.device
        devices = [dev.index or 0] if dev.type == "cuda" else []
        t_gen = time.perf_counter()
        images = []
        with _RUN_LOCK, torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(seed)
            for i in range(n_clips):
                # consecutive seeds: clip i is an independent sample, repeatable from (seed, i)
                generator = torch.Generator("cpu").manual_seed(seed + i)
                out = pipe(prompt, negative_prompt=negative_prompt, height=height, width=width,
                           num_inference_steps=steps, guidance_scale=guidance_scale, generator=generator,
                           callback_on_step_end=on_step, output_type="np")
                images.append(np.asarray(out.images[0], dtype=np.float32) * 255.0)
        gen_s = time.perf_counter() - t_gen

        report(0.88, "converting spectrograms to audio")
        t_inv = time.perf_counter()
        clips = [_normalise(audio_from_image(image)) for image in images]
        mono = crossfade_join(clips, overlap if n_clips > 1 else 0)
        invert_s = time.perf_counter() - t_inv
        report(0.97, "finishing")
        if mono.shape[0] < n_samples:
            raise RuntimeError(f"Riffusion produced {mono.shape[0]} samples, expected {n_samples}")
        # the studio's contract is stereo; Riffusion v1 is mono, so both channels carry the same signal
        audio = np.ascontiguousarray(np.repeat(mono[None, :n_samples], 2, axis=0), dtype=np.float32)
        summary = {
            "engine": "diffusers", "model": self.name, "device": str(dev),
            "dtype": str(pipe.unet.dtype).replace("torch.", ""),
            "seed": seed, "duration": n_samples / sr, "sr": sr, "guidance_scale": guidance_scale,
            "num_inference_steps": steps, "negative_prompt": negative_prompt, "max_seconds": MAX_SECONDS,
            "images": n_clips, "image_size": [height, width], "crossfade_s": round(overlap / sr, 3) if n_clips > 1
            else 0.0, "seeds": [seed + i for i in range(n_clips)],
            "load_s": round(load_s, 3), "generate_s": round(gen_s, 3), "invert_s": round(invert_s, 3),
            "realtime_factor": round((gen_s + invert_s) / max(duration, 1e-9), 3),
        }
        report(1.0, "done")
        return GenerationOutput(audio, sr, summary)
