"""Remix DSP engine: tempo, pitch, effects chains, chord recognition, regions and genre transformation.

Plain functions on float32 numpy arrays shaped ``(channels, samples)``; nothing here imports Django.
"""
