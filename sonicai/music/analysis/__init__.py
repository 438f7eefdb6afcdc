"""Music analysis of a signal: tempo and beats, key, loudness, timbre features and chords (``pipeline.analyze_signal``
runs the set the studio stores for every file)."""
