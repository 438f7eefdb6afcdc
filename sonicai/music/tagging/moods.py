"""The seven moods the studio names (the REST contract's list), defined once for the mood model, the composer,
the studio's rows and pages."""

MOODS: list[str] = ["happy", "sad", "energetic", "calm", "angry", "melancholic", "romantic"]
