"""Music understanding by learned models: the musicnn auto-tagger (ported to PyTorch) and the mood model on its tags."""
