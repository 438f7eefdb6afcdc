"""Words for musicians: key spelling, job summaries and download names."""

from audio.describe import download_name, job_details, job_label, remix_name, song_title
from sonicai.music.notes import key_display as key_name
from sonicai.music.notes import note_names


def test_keys_are_spelled_with_the_fewest_accidentals():
    assert key_name("A#", "major") == "B♭ major"
    assert key_name("D#", "minor") == "E♭ minor"  # six flats against six sharps: flats, as scores write it
    assert key_name("F#", "major") == "F♯ major"
    assert key_name("G#", "minor") == "G♯ minor"
    assert key_name("C#", "major") == "D♭ major"
    assert key_name("C#", "minor") == "C♯ minor"
    assert key_name("A", "minor") == "A minor"
    assert key_name(None, None) == ""
    assert note_names("A#", "major")[10] == "B♭" and note_names("E", "major")[8] == "G♯"


def test_job_details_read_like_a_musician_would_say_them():
    assert job_details("tempo", {"target_bpm": 120, "pitch": 2, "effects": [{"type": "reverb"}]},
                       {"target_bpm": 120.0}) == ["120 BPM", "+2 semitones", "effects: reverb"]
    assert job_details("remix", {"genre": "lofi", "start": 10, "end": 22.5}, {"tempo_bpm": 90}) == [
        "Lo-fi", "90 BPM", "0:10–0:22.5"]
    assert job_details("stem_mix", {"gains": {"vocals": 0.0, "drums": 1.0, "bass": 1.0}, "format": "mp3"}) == [
        "vocals muted", "MP3"]
    assert job_details("stem_mix", {"gains": {"vocals": 0.0, "bass": 1.0}, "format": "wav"}) == ["bass only", "WAV"]
    assert job_details("pitch", {"pitch": -3}) == ["−3 semitones"]
    assert [job_details("transcription", {"source": s}) for s in ("stems", "mix", "bass")] == [
        ["every stem"], ["the mix"], ["the bass"]]
    assert job_details("effects", {"effects": [{"type": "gain", "gain_db": 24}]}, {"turned_down_db": -23.2})[-1] == (
        "turned down 23 dB to stay under full scale")


def test_download_and_result_names_say_whose_song_and_what_was_done():
    assert song_title("My Song.wav") == "My Song"
    assert download_name("My Song", "vocals", "flac") == "My Song - vocals.flac"
    assert download_name('a/b:c"d', None, "wav") == "a b c d.wav"
    assert remix_name("My Song", "remix", {"genre": "lofi"}) == "My Song (lo-fi remix).wav"
    region = {"genre": "edm", "start": 3, "end": 15}
    assert remix_name("My Song", "remix", region) == "My Song (EDM remix, 0:03–0:15).wav"
    assert (remix_name("My Song", "remix", {"genre": "lofi", "target_bpm": 80, "pitch": -1, "effects": "radio"})
            == "My Song (lo-fi remix, 80 BPM, −1 semitone, effects).wav")
    assert remix_name("My Song", "pitch", {"pitch": -2}) == "My Song (−2 semitones).wav"
    assert remix_name("My Song", "effects", {"effects": "radio"}) == "My Song (radio preset).wav"
    bypassed = [{"type": "highpass", "enabled": False}, {"type": "reverb"}]
    assert remix_name("My Song", "effects", {"effects": bypassed}) == "My Song (reverb).wav"


def test_a_key_the_analysis_doubts_is_shown_as_uncertain():
    from audio.describe import analysis_key

    assert analysis_key({"key": "A#", "mode": "major", "key_uncertain": False}) == "B♭ major"
    assert analysis_key({"key": "A#", "mode": "major", "key_uncertain": True}) == "B♭ major (uncertain)"
    assert analysis_key({"key": "A#", "mode": "major"}) == "B♭ major"  # analyses stored before the flag existed
    assert analysis_key(None) == ""


def test_a_render_is_labelled_by_everything_it_did():
    assert job_label("stem_separation") == "Stem separation"
    assert job_label("tempo", {"tempo_change": 25, "pitch": 0.0, "effects": None}) == "Tempo change"
    assert job_label("tempo", {"target_bpm": 90, "pitch": 2.0, "effects": [{"type": "reverb"}]}) == (
        "Tempo change, pitch shift and effects")
    assert job_label("pitch", {"pitch": -1.0, "effects": {"preset": "lofi_tape"}}) == "Pitch shift and effects"
    assert job_label("effects", {"effects": [{"type": "gain"}], "pitch": 0}) == "Effects"
    assert job_label("remix", {"genre": "lofi", "pitch": 2.0}) == "Genre remix"
