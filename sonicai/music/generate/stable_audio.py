"""Stable Audio Open 1.0 through Hugging Face diffusers (``StableAudioPipeline``), offline by default.

Weights are read from ``<models_dir>/stable-audio-open-1.0``: the folder ``huggingface-cli download
stabilityai/stable-audio-open-1.0 --local-dir ...`` makes, whose diffusers half is ``model_index.json`` plus
transformer/, vae/, projection_model/, text_encoder/, tokenizer/ and scheduler/ (the repository's top-level
``model.safetensors`` is the stable-audio-tools copy and is not read). Only when downloads are allowed
(``allow_download=True`` or ``SONICAI_ALLOW_DOWNLOADS=1``) does a missing folder fall back to
``from_pretrained("stabilityai/stable-audio-open-1.0")``, a gated repository that also needs a Hugging Face
token with its licence accepted; otherwise loading passes ``local_files_only=True``.

Length: the model makes one latent window of ``transformer.sample_size`` frames (1024 x 2048 samples at
44.1 kHz, ≈47.5 s) and is conditioned on the requested length, so anything up to that is one pass and the
result is cut to the exact duration in samples. Longer pieces are refused rather than stitched: its
windows are independent samples with no continuation mechanism, so joins would be audible.

Determinism: the initial noise comes from a CPU ``torch.Generator`` seeded with ``seed`` and the scheduler's
SDE noise from a Brownian tree seeded from that generator, so the same seed, model, device and dtype give
the same audio on CPU. The global torch RNG is forked (and seeded) around the call so any component that
draws from it is repeatable too and the caller's RNG state is untouched. On CUDA, kernels and fp16
accumulation differ between GPU models and drivers: repeatable on one machine, not bit-identical across them.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np

from sonicai.music.progress import Progress, throttled

from .base import GenerationOutput
from .diffusers_engine import DiffusersEngine

NAME = "stable-audio-open-1.0"
REPO = "stabilityai/stable-audio-open-1.0"
# The pipeline's scheduler (CosineDPMSolverMultistepScheduler, named by the model's model_index.json) draws
# its SDE noise from a torchsde Brownian tree; diffusers swaps in a stub that fails at run time without it.
REQUIRED = {"diffusers": "diffusers==0.42.1", "torchsde": "torchsde==0.2.6"}

# The pipeline's scheduler keeps per-call state (timesteps, step index, noise sampler), so two jobs must not
# denoise through the same cached pipeline at once.
_RUN_LOCK = threading.Lock()


class StableAudioEngine(DiffusersEngine):
    """Text to music (and sound) with Stable Audio Open through diffusers' StableAudioPipeline."""

    NAME = NAME
    REPO = REPO
    LABEL = "Stable Audio Open"
    REQUIRED = REQUIRED
    WEIGHTED = ("transformer", "vae", "text_encoder")
    # 100 is the pipeline's default; the model card uses 200 for its best quality at twice the time
    DEFAULT_STEPS = 100
    DOWNLOAD_NOTE = "with a Hugging Face token"
    LICENCE_STEP = f"after accepting the licence at huggingface.co/{REPO}: "

    def pipeline_class(self):
        from diffusers import StableAudioPipeline

        # The scheduler's last step goes to sigma 0, below the Brownian tree's sigma_min; torchsde warns on
        # every such query although the noise it returns is unused there. Silence just that message.
        warnings.filterwarnings("ignore", message=r"Should have (ta|tb)", module=r"torchsde\.")
        return StableAudioPipeline

    # -- generation --------------------------------------------------------------------------------

    def generate(self, prompt: str, duration: float, seed: int, guidance_scale: float = 7.0, temperature: float = 1.0,
                 top_k: int = 250, melody: tuple[np.ndarray, int] | None = None, progress: Progress | None = None,
                 device: str | None = None, negative_prompt: str | None = None) -> GenerationOutput:
        # temperature and top_k are token-sampling knobs of autoregressive models; a diffusion model has none
        import torch

        self.check_request(prompt, duration, melody)
        report = throttled(progress)
        report(0.01, "loading model")
        t0 = time.perf_counter()
        pipe = self.load(device)
        load_s = time.perf_counter() - t0

        sr = int(pipe.vae.config.sampling_rate)
        max_seconds = pipe.transformer.config.sample_size * pipe.vae.hop_length / sr
        if duration > max_seconds:
            raise ValueError(f"{self.name} makes at most {max_seconds:.1f} s in one piece; "
                             f"ask for {int(max_seconds)} s or less, or use a MusicGen model or the composer.")
        n_samples = int(round(duration * sr))
        steps = self.num_inference_steps

        def on_step(step: int, _t, _latents) -> None:
            report(0.05 + 0.85 * (step + 1) / steps, f"denoising step {step + 1}/{steps}")

        dev = pipe.device
        devices = [dev.index or 0] if dev.type == "cuda" else []
        t_gen = time.perf_counter()
        with _RUN_LOCK, torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(seed)
            # a CPU generator gives the same starting noise whichever device denoises
            generator = torch.Generator("cpu").manual_seed(seed)
            # latents out, decoded here, so the audio can be cut to the exact sample count: the pipeline's
            # own cut is int(seconds * sr), which float rounding can leave one sample short
            latents = pipe(prompt, negative_prompt=negative_prompt, audio_start_in_s=0.0, audio_end_in_s=duration,
                           num_inference_steps=steps, guidance_scale=guidance_scale, generator=generator,
                           callback=on_step, callback_steps=1, output_type="latent").audios
            report(0.92, "decoding")
            wav = pipe.vae.decode(latents).sample[0]
        gen_s = time.perf_counter() - t_gen
        report(0.97, "finishing")

        audio = wav[:, :n_samples].float().cpu().numpy()
        if audio.shape[1] < n_samples:  # the decoder outputs sample_size * hop samples, more than max_seconds
            raise RuntimeError(f"Stable Audio produced {audio.shape[1]} samples, expected {n_samples}")
        if audio.shape[0] == 1:  # the studio's contract is stereo; the real autoencoder already is
            audio = np.repeat(audio, 2, axis=0)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        summary = {
            "engine": "diffusers", "model": self.name, "device": str(dev),
            "dtype": str(pipe.transformer.dtype).replace("torch.", ""),
            "seed": seed, "duration": n_samples / sr, "sr": sr, "guidance_scale": guidance_scale,
            "num_inference_steps": steps, "negative_prompt": negative_prompt, "max_seconds": round(max_seconds, 2),
            "load_s": round(load_s, 3), "generate_s": round(gen_s, 3),
            "realtime_factor": round(gen_s / max(duration, 1e-9), 3),
        }
        report(1.0, "done")
        return GenerationOutput(audio, sr, summary)
