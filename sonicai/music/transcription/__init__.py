"""Audio to notes: the basic-pitch network (``basic_pitch``), its note decoding (``notes``), drum
hits (``drums``) and MIDI files (``midi``). Framework-free; see docs/transcription.md."""
