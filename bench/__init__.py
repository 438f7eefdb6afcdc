"""Benchmarks and data tools, run as modules from the repository root: ``python -m bench.<name>``."""
