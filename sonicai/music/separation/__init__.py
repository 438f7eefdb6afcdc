"""Stem separation engines (Spleeter with our split network, Demucs, HPSS) and their registry: plain functions and
classes on numpy/torch arrays."""
