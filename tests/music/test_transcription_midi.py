"""Notes and drum hits -> .mid files, and stems -> notes on the real path."""

from __future__ import annotations

import mir_eval
import numpy as np
import pretty_midi
import pytest

from sonicai.music.transcription.drums import KICK, SNARE, DrumHit
from sonicai.music.transcription.midi import multitrack_midi, program_for_stem, stem_midi, write_midi
from sonicai.music.transcription.notes import NoteEvent

NOTES = [
    NoteEvent(0.50, 1.00, 60, 0.80, (0, 1, 1, 2)),
    NoteEvent(1.00, 1.75, 64, 0.50, (0, 0, -1)),
    NoteEvent(2.00, 3.00, 67, 0.60, (3, 3)),
    NoteEvent(2.50, 3.50, 71, 0.40, (1, 1)),  # overlaps the previous note
]
HITS = [DrumHit(0.5, KICK, 110), DrumHit(1.0, SNARE, 90), DrumHit(1.5, KICK, 100)]


def test_a_stem_file_round_trips(tmp_path):
    path = write_midi(stem_midi("vocals", NOTES, tempo=96.0), tmp_path / "out" / "vocals.mid")
    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(96.0)
    (track,) = pm.instruments
    assert track.name == "Vocals" and track.program == program_for_stem("vocals") == 52 and not track.is_drum
    back = sorted(track.notes, key=lambda n: n.start)
    assert [n.pitch for n in back] == [60, 64, 67, 71]
    assert [n.velocity for n in back] == [round(127 * e.amplitude) for e in NOTES]
    for n, e in zip(back, NOTES, strict=True):
        assert n.start == pytest.approx(e.start, abs=0.005) and n.end == pytest.approx(e.end, abs=0.005)
    # Bends: 1/3 semitone = 1365 units; the two overlapping notes lose theirs; each bent note
    # hands the channel back at 0 when it ends.
    bends = [(round(b.time, 2), b.pitch) for b in track.pitch_bends]
    assert (0.5, 0) in bends and (1.0, 2731) in bends and (1.75, -1365) in bends
    assert all(not 2.0 <= t <= 3.5 for t, _ in bends)
    assert bends[-1] == (1.75, 0)


def test_multitrack_file_has_one_track_per_stem_and_a_gm_drum_track(tmp_path):
    pm = multitrack_midi({"vocals": NOTES[:2], "bass": [NoteEvent(0.5, 1.5, 36, 0.7)], "other": NOTES[2:],
                          "drums": HITS}, tempo=120.0)
    pretty_midi_back = pretty_midi.PrettyMIDI(str(write_midi(pm, tmp_path / "song.mid")))
    tracks = {t.name: t for t in pretty_midi_back.instruments}
    assert list(tracks) == ["Vocals", "Bass", "Other", "Drums"]
    assert tracks["Bass"].program == 33 and tracks["Other"].program == 0
    drums = tracks["Drums"]
    assert drums.is_drum
    assert [(round(n.start, 3), n.pitch, n.velocity) for n in drums.notes] == [(0.5, 36, 110), (1.0, 38, 90),
                                                                               (1.5, 36, 100)]
    import mido

    channels = {m.channel for track in mido.MidiFile(str(tmp_path / "song.mid")).tracks for m in track
                if m.type == "note_on"}
    assert 9 in channels and len(channels) == 4  # drums on channel 10, each stem on its own channel


def test_bad_tempo_is_refused():
    with pytest.raises(ValueError, match="tempo"):
        multitrack_midi({"bass": []}, tempo=0)


@pytest.fixture(scope="module")
def model():
    from sonicai.music.transcription import basic_pitch as bp

    try:
        bp.default_weights_path()
    except bp.BasicPitchWeightsMissing as exc:
        pytest.skip(f"basic-pitch wheel weights are not installed here ({exc})")
    return bp.load_basic_pitch()


def _render(program: int, notes, sr: int = 44100, drum: bool = False) -> np.ndarray:
    from sonicai.music.synth import render_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program, is_drum=drum)
    inst.notes.extend(pretty_midi.Note(100, p, s, s + d) for p, s, d in notes)
    pm.instruments.append(inst)
    return render_midi(pm, sr)


def test_soundfont_stems_become_a_multitrack_file(model, tmp_path):
    """A GM bass line and a kick/snare pattern through the whole path: every bass note found at
    its pitch within 50 ms, every drum hit on its GM key, then written and read back."""
    from sonicai.music.transcription.transcribe import transcribe_stems

    bass_line = [(40, 0.2, 0.4), (43, 0.7, 0.4), (45, 1.2, 0.4), (47, 1.7, 0.9), (40, 2.8, 0.5)]
    drum_part = [(KICK, 0.2, 0.1), (SNARE, 0.7, 0.1), (KICK, 1.2, 0.1), (SNARE, 1.7, 0.1)]
    stems = {"bass": _render(33, bass_line), "drums": _render(0, drum_part, drum=True)}
    n = min(s.shape[1] for s in stems.values())
    stems = {k: v[:, :n] for k, v in stems.items()}
    seen = []
    out = transcribe_stems(stems, 44100, model=model, progress=lambda f, s: seen.append((f, s)))
    notes = out["bass"]
    est_i = np.array([[e.start, e.end] for e in notes])
    est_p = np.array([440 * 2 ** ((e.pitch - 69) / 12) for e in notes])
    ref_i = np.array([[s, s + d] for _, s, d in bass_line])
    ref_p = np.array([440 * 2 ** ((p - 69) / 12) for p, _, _ in bass_line])
    _, recall, _, _ = mir_eval.transcription.precision_recall_f1_overlap(ref_i, ref_p, est_i, est_p,
                                                                         offset_ratio=None)
    assert recall == 1.0
    assert all(e.pitch <= 72 for e in notes)  # the bass range keeps overtones above C5 out
    assert [(h.note, round(h.time, 1)) for h in out["drums"]] == [(n_, t) for n_, t, _ in drum_part]
    assert seen[-1][0] == pytest.approx(1.0) and any(s.startswith("drums:") for _, s in seen)
    back = pretty_midi.PrettyMIDI(str(write_midi(multitrack_midi(out), tmp_path / "stems.mid")))
    assert [t.name for t in back.instruments] == ["Bass", "Drums"]
    assert len(back.instruments[0].notes) == len(notes) and len(back.instruments[1].notes) == 4
