"""Remixing a song: the genre pipelines (the arranger keeps the vocals; MusicGen-melody re-performs the tune) and the
one-pass remix of region, genre, tempo, pitch and effects."""
