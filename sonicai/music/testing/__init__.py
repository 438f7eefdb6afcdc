"""Reproducible musical test signals with known ground truth (tempo, beats, key, chords, stems), rendered from
General MIDI: shared by the tests and the benchmarks."""
