"""Lead sheet from an analysis: meter and bars from the chord changes, ChordPro and MusicXML spelled in the key."""

import xml.etree.ElementTree as ET

import pytest

from sonicai.music.leadsheet import build, infer_meter, to_chordpro, to_musicxml


def analysis(meter: int, changes_every: int, key="F", mode="major"):
    beats = [round(0.5 * i, 3) for i in range(48)]
    roots = [(5, "maj"), (10, "maj"), (0, "7"), (2, "min")]
    chords = []
    for k, start in enumerate(range(0, 48, changes_every)):
        root, quality = roots[k % 4]
        chords.append({"start": beats[start], "end": beats[min(start + changes_every, 47)] if start + changes_every < 48
                       else 24.0, "root": root, "quality": quality})
    return {"tempo_bpm": 120.0, "beats": beats, "key": key, "mode": mode, "duration": 24.0, "chords": chords}


def test_meter_follows_the_chord_changes():
    a4, a3 = analysis(4, 4), analysis(3, 3)
    assert infer_meter(a4["beats"], a4["chords"])[:1] == (4,)
    assert infer_meter(a3["beats"], a3["chords"]) == (3, 0, True)
    assert infer_meter([0.5, 1.0], [])[0] == 4  # too little to tell: 4/4, marked as assumed
    assert build({"beats": [0.5, 1.0], "chords": [], "key": "C", "mode": "major"}).time_signature_confident is False


def test_chordpro_and_musicxml_spell_chords_in_the_key():
    sheet = build(analysis(4, 4), title="Song")
    assert (sheet.time_signature, sheet.key, len(sheet.bars)) == ("4/4", "F", 12)
    assert sheet.bars[1].chords == ["B♭"] and sheet.bars[2].chords == ["C7"]
    cho = to_chordpro(sheet)
    assert "{key: F}" in cho and "{tempo: 120}" in cho and "{time: 4/4}" in cho and "[Bb]" in cho and "A#" not in cho
    root = ET.fromstring(to_musicxml(sheet).split("\n", 2)[2])
    assert root.find(".//key/fifths").text == "-1"
    assert root.find(".//time/beats").text == "4"
    harmonies = root.findall(".//harmony")
    second = harmonies[1]
    assert (second.find("root/root-step").text, second.find("root/root-alter").text,
            second.find("kind").text) == ("B", "-1", "major")
    assert harmonies[2].find("kind").text == "dominant"
    assert len(root.findall("part/measure")) == 12


def test_musicxml_puts_each_chord_on_its_beat_and_a_pickup_in_a_short_first_measure():
    # Before, a bar's chords were spread evenly (an F changing on beat 4 was written on beat 3), a two-beat pickup
    # was a whole measure (every later chord two beats late against the audio), and E♭ minor had six sharps.
    beats = [round(0.6 * i, 3) for i in range(2 + 4 * 4)]  # a 2-beat pickup, then four bars of 4 at 100 BPM
    bar = lambda n, beat: beats[2 + 4 * n + beat]  # noqa: E731
    chords = [{"start": 0.0, "end": bar(0, 0), "root": 3, "quality": "min"},
              {"start": bar(0, 0), "end": bar(1, 3), "root": 3, "quality": "min"},
              {"start": bar(1, 3), "end": bar(2, 0), "root": 11, "quality": "maj"},
              {"start": bar(2, 0), "end": bar(3, 2), "root": 8, "quality": "min"},
              {"start": bar(3, 2), "end": 12.0, "root": 10, "quality": "7"}]
    sheet = build({"tempo_bpm": 100.0, "beats": beats, "key": "D#", "mode": "minor", "duration": 12.0,
                   "chords": chords})
    assert (sheet.bars[0].beats, sheet.bars[1].beats) == (2, 4)
    assert [(b.chords, b.chord_beats) for b in sheet.bars[1:5]] == [
        (["E♭m"], [0]), (["E♭m", "C♭"], [0, 3]), (["A♭m"], [0]), (["A♭m", "B♭7"], [0, 2])]
    root = ET.fromstring(to_musicxml(sheet).split("\n", 2)[2])
    assert root.find(".//key/fifths").text == "-6"
    measures = root.findall("part/measure")
    assert (measures[0].get("number"), measures[0].get("implicit")) == ("0", "yes")
    # the page and the JSON number the bars as the score does: the pickup is bar 0 (it was bar 1 on the page)
    assert [str(b.number) for b in sheet.bars] == [m.get("number") for m in measures]
    assert sheet.pickup and sheet.full_bars == len(measures) - 1
    lengths = [[int(d.text) for d in m.findall("note/duration")] for m in measures]
    assert lengths[0] == [2] and all(sum(m) == 4 for m in lengths[1:])
    second = measures[2]  # E♭m for three beats, then C♭ on beat 4
    assert [int(d.text) for d in second.findall("note/duration")] == [3, 1]
    assert [h.find("root/root-step").text for h in second.findall("harmony")] == ["E", "C"]


def test_music_without_a_beat_gets_no_tempo_marking():
    sheet = build({"tempo_bpm": 0.0, "beats": [], "key": "C", "mode": "major", "duration": 10.0, "chords": []})
    assert "{tempo" not in to_chordpro(sheet)
    assert "metronome" not in to_musicxml(sheet)


def test_a_chord_ringing_past_the_last_downbeat_is_not_a_bar_of_its_own():
    # 16 bars of 4 at 96 BPM and a second of ring-out: the sheet said "17 bars", the last a stub of the same G.
    beats = [round(0.625 * i, 3) for i in range(65)]
    chords = [{"start": 2.5 * k, "end": 2.5 * (k + 1) if k < 15 else 40.95, "root": (9, 5, 0, 7)[k % 4],
               "quality": "min" if k % 4 == 0 else "maj"} for k in range(16)]
    sheet = build({"tempo_bpm": 96.0, "beats": beats, "key": "A", "mode": "minor", "duration": 40.95,
                   "chords": chords})
    assert len(sheet.bars) == 16 and sheet.bars[-1].chords == ["G"] and sheet.bars[-1].end == 40.95
    ending = dict(chords[-1], start=40.0, root=9, quality="min")  # a final Am on the next downbeat is a bar
    sheet = build({"tempo_bpm": 96.0, "beats": beats, "key": "A", "mode": "minor", "duration": 40.95,
                   "chords": [*chords[:-1], dict(chords[-1], end=40.0), ending]})
    assert len(sheet.bars) == 17 and sheet.bars[-1].chords == ["Am"]


@pytest.mark.django_db
def test_the_practice_page_spells_transposed_chords_by_the_servers_rule(client, user, upload):
    """Transposed +2, a G minor song's F♯dim was shown as A♭dim: the page named notes from one sharp or flat list.
    It now gets, for each key the song can land in, the twelve names the server's spelling rule gives."""
    import json
    import re

    from audio.models import AudioFile

    aid = upload("wav", seconds=0.5)["id"]
    AudioFile.objects.filter(pk=aid).update(analysis={"key": "G", "mode": "minor", "chords": [], "beats": [],
                                                      "loudness": {"true_peak_dbtp": -3.0}})
    client.force_login(user)
    page = client.get(f"/practice/{aid}/").content.decode()
    data = json.loads(re.search(r'<script id="practice-data" type="application/json">(.*?)</script>', page).group(1))
    a_minor = data["spellings"][9]
    assert a_minor[8] == "G♯" and a_minor[5] == "F" and data["key_names"][9] == "A"


def test_the_tempo_is_rounded_once_and_as_the_pages_round_it():
    """114.53 BPM was "115 BPM" on the pages and {tempo: 114} in ChordPro (rounded to 114.5, then to even);
    157.25 was 157.3 on the pages and 157.2 in the MusicXML."""
    for bpm, whole, tenth in ((114.53, "115", "114.5"), (157.25, "157", "157.3")):
        a = analysis(4, 2)
        a["tempo_bpm"] = bpm
        sheet = build(a, title="Song")
        assert f"{{tempo: {whole}}}" in to_chordpro(sheet)
        xml = to_musicxml(sheet)
        assert f"<per-minute>{whole}</per-minute>" in xml and f'<sound tempo="{tenth}"/>' in xml


def test_changes_too_scattered_to_tell_the_meter_give_the_commonest_one_marked_assumed():
    """A jazz excerpt's nine changes put 44 % on a bar of three and 33 % on a bar of four: it was written in 3/4
    (and its count-in clicked threes) on that evidence."""
    beats = [0.5 * i for i in range(48)]
    starts = [0, 3, 6, 9, 12, 13, 17, 22, 26, 31]
    chords = [{"start": beats[a], "end": beats[b], "root": (5 * k) % 12, "quality": "maj"}
              for k, (a, b) in enumerate(zip(starts, [*starts[1:], 47], strict=True))]
    from sonicai.music.leadsheet import _change_beats

    assert len(_change_beats(beats, chords)) >= 8  # enough changes to weigh, none of them ambiguous
    meter, _, confident = infer_meter(beats, chords)
    assert (meter, confident) == (4, False)
