"""Lead sheet from an analysis: meter and bars from the chord changes, ChordPro and MusicXML spelled in the key."""

import xml.etree.ElementTree as ET

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
