"""The offline composer: determinism, exact duration, loudness, and that the music
says what the prompt asked for, measured with the project's own analysis."""

import numpy as np
import pytest

from sonicai.music.analysis.key import estimate_key
from sonicai.music.analysis.tempo import estimate_tempo
from sonicai.music.compose.engine import compose
from sonicai.music.compose.prompt import parse_prompt
from sonicai.music.master import loudness_lufs, true_peak


def test_same_prompt_and_seed_give_identical_audio():
    a = compose("warm lofi beat with rhodes and vinyl crackle, 80 bpm", 6.0, seed=5)
    b = compose("warm lofi beat with rhodes and vinyl crackle, 80 bpm", 6.0, seed=5)
    c = compose("warm lofi beat with rhodes and vinyl crackle, 80 bpm", 6.0, seed=6)
    assert np.array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio, c.audio)


@pytest.mark.parametrize("duration", [5.0, 7.3])
def test_duration_is_exact_and_master_hits_target(duration):
    r = compose("happy pop with piano", duration, seed=1)
    assert r.audio.shape == (2, int(round(duration * 44100)))
    assert loudness_lufs(r.audio, r.sr) == pytest.approx(-14.0, abs=0.5)
    assert 20 * np.log10(true_peak(r.audio)) <= -0.9


def test_duration_out_of_range():
    for d in (4.9, 300.5):
        with pytest.raises(ValueError):
            compose("x", d, seed=0)


@pytest.mark.parametrize("prompt,bpm,tonic,mode", [
    ("energetic edm in F minor, 126 bpm", 126, "F", "minor"),
    ("happy pop song in G major, 118 bpm", 118, "G", "major"),
    ("chill lofi hip hop in D major, 82 bpm", 82, "D", "major"),
    ("swinging jazz in Bb major, 140 bpm", 140, "A#", "major"),
])
def test_stated_tempo_and_key_are_what_the_analysis_measures(prompt, bpm, tonic, mode):
    r = compose(prompt, 12.0, seed=3)
    y = r.audio.mean(axis=0)
    assert estimate_tempo(y, r.sr).bpm == pytest.approx(bpm, abs=2.0)
    key = estimate_key(y, r.sr)
    assert (key.tonic, key.mode) == (tonic, mode)


def test_prompt_parsing():
    s = parse_prompt("warm lofi beat with rhodes and vinyl crackle, 80 bpm")
    assert (s.genre, s.tempo_bpm) == ("lofi", 80.0) and "rhodes" in s.instruments and s.programs["harmony"] == 4
    s = parse_prompt("Epic orchestral piece in F# minor at 96 BPM, 2 minutes long")
    assert (s.genre, s.key_tonic, s.mode, s.tempo_bpm, s.duration) == ("cinematic", 6, "minor", 96.0, 120.0)
    s = parse_prompt("sad song in Eb major, 30 seconds")
    assert (s.mood, s.key_tonic, s.mode, s.duration) == ("sad", 3, "major", 30.0)
    s = parse_prompt("120bpm techno with a saxophone")
    assert (s.genre, s.tempo_bpm) == ("edm", 120.0) and s.programs["melody"] == 65
    # the mood chip adds its name at the end; a named mood wins over a word that only suggests another
    assert parse_prompt("upbeat funk groove with slap bass and brass, happy").mood == "happy"
    assert parse_prompt("upbeat funk groove with slap bass and brass").mood == "energetic"


def test_free_text_goes_through_the_sentence_embedding():
    s = parse_prompt("tears falling after the breakup")
    assert s.matched_by["genre"] == "embedding" and s.matched_by["mood"] == "embedding"
    assert s.mood in ("sad", "melancholic") and s.mode == "minor"
    assert parse_prompt("candlelight dinner for two").mood == "romantic"


def test_midi_matches_the_arrangement():
    r = compose("rock anthem, 130 bpm", 8.0, seed=2)
    names = {i.name for i in r.midi.instruments}
    assert {"drums", "bass", "harmony", "melody"} <= names
    assert r.midi.get_end_time() <= 8.0 + 60 / 130 * 4 + 0.01
    minor = compose("dark ballad in Eb minor, 80 bpm", 6.0, seed=3).midi  # a notation program reads six flats
    assert [k.key_number for k in minor.key_signature_changes] == [3 + 12]
    assert [(t.numerator, t.denominator) for t in minor.time_signature_changes] == [(4, 4)]


@pytest.mark.parametrize("prompt,bpm", [("sad song", 60.0), ("rnb in E minor", 72.0), ("hip hop 78 bpm", 78.0)])
def test_slow_grooves_are_not_heard_in_double_time(prompt, bpm):
    r = compose(prompt, 10.0, seed=2)
    assert r.spec.tempo_bpm == bpm
    assert estimate_tempo(r.audio.mean(axis=0), r.sr).bpm == pytest.approx(bpm, abs=2.0)


def test_minor_keys_use_the_leading_tone_and_read_as_minor():
    from sonicai.music.compose.arranger import arrange, progression_for
    from sonicai.music.compose.theory import degree_chord

    assert degree_chord(9, "minor", 5) == (4, "maj") and degree_chord(9, "minor", 5, seventh=True) == (4, "7")
    chords = progression_for("jazz", "minor", "sad", 7, 8, seed=1, chords_per_bar=2)
    assert (chords[0].root, chords[-1].root, chords[-2].root, chords[-2].quality) == (7, 7, 2, "7")
    pm = arrange("jazz", chords, 120.0, 7, "minor", 32.0, seed=1)
    melody = next(i for i in pm.instruments if i.name == "melody")
    # over a D7 the tune never plays F natural against the chord's F#
    for c in (c for c in chords if c.root == 2):
        for n in melody.notes:
            if c.start_beat * 0.5 <= n.start < (c.start_beat + c.beats) * 0.5:
                assert n.pitch % 12 != 5
    r = compose("sad jazz in G minor", 10.0, seed=1)
    key = estimate_key(r.audio.mean(axis=0), r.sr)
    assert (key.tonic, key.mode) == ("G", "minor")


def test_a_piece_cut_short_in_its_last_bar_has_cadenced_before_it():
    # 20 s at 110 BPM is 9 bars and a sixth: the cadence used to land on the cut bar, 0.36 s of tonic before the
    # fade, so the piece was heard ending on its dominant.
    from sonicai.music.compose.arranger import progression_for
    from sonicai.music.compose.theory import degree_chord

    r = compose("upbeat funk 110 bpm in A minor", 20.0, seed=2)
    bar = 4 * 60 / 110
    harmony = next(i for i in r.midi.instruments if i.name == "harmony")
    last_bars = {n.pitch % 12 for n in harmony.notes if 8 * bar - 0.05 <= n.start < 20.0}  # bar 9 and the cut one
    assert last_bars <= {9, 0, 4, 7}, last_bars  # the A minor (seventh) chord only: the tonic held to the end
    held = progression_for("funk", "minor", None, 9, 10, seed=2, hold_last_bar=True)
    assert [c.root for c in held[-2:]] == [9, 9] and held[-3].root == degree_chord(9, "minor", 5)[0]
