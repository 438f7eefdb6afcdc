"""Mood estimation (the seven moods of ``sonicai.music.tagging.moods``) from the tagger's output and audio features."""
