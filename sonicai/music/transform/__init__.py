"""Transforming a signal: time-stretch, pitch-shift, effects chains and regions.

Plain functions on float32 numpy arrays shaped ``(channels, samples)``.
"""
