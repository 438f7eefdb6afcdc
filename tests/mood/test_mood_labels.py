"""Label files for `train_mood` and the benchmarks: CSV (mood names or valence/arousal) and Emotify's layout."""

from __future__ import annotations

import pytest

from sonicai.music.tagging.mood.head import normalize_label
from sonicai.music.tagging.mood.labels import emotify_labels, quadrant_of, read_label_csv


def test_csv_of_mood_names_with_or_without_header(tmp_path):
    (tmp_path / "a.csv").write_text("file,label\nx.wav,happy\nsub/y.mp3, Tender \n")
    (tmp_path / "b.csv").write_text("x.wav,calm\n")
    rows = read_label_csv(tmp_path / "a.csv")
    assert [(r.path, r.mood) for r in rows] == [(tmp_path / "x.wav", "happy"), (tmp_path / "sub/y.mp3", "Tender")]
    assert normalize_label(rows[1].mood) == "romantic"
    assert read_label_csv(tmp_path / "b.csv")[0].mood == "calm"


@pytest.mark.parametrize("scale,lo,hi", [("unit", 0.0, 1.0), ("signed", -1.0, 1.0), ("nine-point", 1.0, 9.0)])
def test_valence_arousal_rows_become_the_nearest_mood_on_any_published_scale(tmp_path, scale, lo, hi):
    def at(v, a):  # a point given in [0, 1] written on the file's scale
        return f"{lo + v * (hi - lo):g},{lo + a * (hi - lo):g}"

    (tmp_path / "l.csv").write_text("\n".join([
        f"happy.wav,{at(0.85, 0.7)}", f"angry.wav,{at(0.1, 0.9)}", f"sad.wav,{at(0.1, 0.15)}",
        f"calm.wav,{at(0.6, 0.1)}", f"energetic.wav,{at(0.55, 0.95)}"]))
    rows = read_label_csv(tmp_path / "l.csv")
    assert [r.mood for r in rows] == ["happy", "angry", "sad", "calm", "energetic"]
    assert [quadrant_of(r.valence, r.arousal) for r in rows] == ["Q1", "Q2", "Q3", "Q4", "Q1"]


def test_bad_label_files_are_refused(tmp_path):
    (tmp_path / "a.csv").write_text("x.wav,3,40\n")
    with pytest.raises(ValueError, match="must all lie"):
        read_label_csv(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("x.wav\n")
    with pytest.raises(ValueError, match="expected rows"):
        read_label_csv(tmp_path / "b.csv")


def test_4q_quadrant_folders_are_mood_labels():
    assert [normalize_label(q) for q in ("Q1", "Q2", "Q3", "Q4")] == ["happy", "angry", "sad", "calm"]


def test_emotify_layout_gives_each_track_its_listeners_top_emotion(tmp_path):
    header = ("track id, genre, amazement, solemnity, tenderness, nostalgia, calmness, power, joyful_activation, "
              "tension, sadness, mood, liked, disliked, age, gender, mother tongue\n")
    rows = ["1, classical, 0,0,1,0,0,0,0,0,0, 1,0,0,30,1,English",
            "1, classical, 0,0,1,0,1,0,0,0,0, 1,0,0,30,1,English",
            "101, rock, 0,0,0,0,0,0,0,1,0, 1,0,0,30,1,English",
            "102, rock, 0,0,0,0,0,1,0,0,0, 1,0,0,30,1,English"]
    (tmp_path / "data.csv").write_text(header + "\n".join(rows) + "\n")
    for rel in ("classical/1.mp3", "rock/1.mp3"):  # rock/2.mp3 (track 102) is missing: skipped
        (tmp_path / "emotifymusic" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "emotifymusic" / rel).write_bytes(b"")
    rows = emotify_labels(tmp_path)
    assert [(r.path.relative_to(tmp_path).as_posix(), r.mood) for r in rows] == [
        ("emotifymusic/classical/1.mp3", "tenderness"), ("emotifymusic/rock/1.mp3", None)]  # tension: untrained
