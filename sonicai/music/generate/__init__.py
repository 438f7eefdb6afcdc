"""Text-to-music engines: MusicGen (transformers), the diffusers engines (Stable Audio Open, Riffusion), the
composer behind the same interface, and the model list."""
