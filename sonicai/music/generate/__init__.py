"""Model-backed text-to-music engines (MusicGen through transformers) and the model list."""
