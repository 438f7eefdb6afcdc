"""Stem separation engines: plain functions and classes on numpy/torch arrays."""
