"""The basic-pitch port: weights, network, windowing and note decoding on the real code path."""

from __future__ import annotations

import json
from pathlib import Path

import mir_eval
import numpy as np
import pytest

from sonicai.music.transcription import basic_pitch as bp
from sonicai.music.transcription.notes import MIDI_OFFSET, NoteSettings, decode_notes, frames_to_seconds
from tests.music.transcription_signals import MELODY, melody_signal

REFERENCE = Path(__file__).parent / "data" / "basic_pitch_reference_melody.json"


def _weights_or_skip() -> Path:
    try:
        return bp.default_weights_path()
    except bp.BasicPitchWeightsMissing as exc:
        pytest.skip(f"basic-pitch wheel weights are not installed here ({exc})")


@pytest.fixture(scope="module")
def net() -> bp.BasicPitchNet:
    _weights_or_skip()
    return bp.load_basic_pitch()


@pytest.fixture(scope="module")
def melody_grams(net) -> bp.Posteriorgrams:
    return bp.predict_posteriorgrams(melody_signal(22050), 22050, model=net)


def test_missing_weights_say_so(tmp_path):
    with pytest.raises(bp.BasicPitchWeightsMissing, match="basic-pitch weights not found"):
        bp.load_basic_pitch(tmp_path / "nmp.onnx")


def test_a_file_that_is_not_the_model_is_refused(tmp_path):
    bogus = tmp_path / "nmp.onnx"
    bogus.write_bytes(b"\x0a\x03abc")  # a valid protobuf, but no graph in it
    with pytest.raises(ValueError, match="no ONNX graph"):
        bp.BasicPitchNet.from_onnx(bogus)


def test_network_matches_the_onnx_graph_it_was_read_from(net):
    """Same windows through onnxruntime (the original's own backend) and through the port."""
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(_weights_or_skip()), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    windows = np.stack([
        melody_signal(22050)[:bp.WINDOW_SAMPLES],
        (0.05 * rng.standard_normal(bp.WINDOW_SAMPLES)).astype(np.float32),
    ])
    import torch

    with torch.no_grad():
        ours = net(torch.from_numpy(windows))
    for row in range(len(windows)):  # one window per call, as basic-pitch runs it
        note, onset, contour = session.run(
            ["StatefulPartitionedCall:1", "StatefulPartitionedCall:2", "StatefulPartitionedCall:0"],
            {"serving_default_input_2:0": windows[row:row + 1, :, None]})
        for name, theirs in (("note", note), ("onset", onset), ("contour", contour)):
            assert np.abs(ours[name][row].numpy() - theirs[0]).max() < 1e-4, name


def test_matches_the_original_basic_pitch(melody_grams):
    """Posteriorgrams and notes of the original basic-pitch 0.4.0 on the same signal
    (recorded with bench/basic_pitch_compare.py original-synthetic)."""
    ref = json.loads(REFERENCE.read_text())
    assert melody_grams.note.shape == (ref["n_frames"], 88)
    for key in ("note", "onset"):
        ours = getattr(melody_grams, key)[::16, 30:60]
        assert np.abs(ours - np.array(ref[key])).max() < 1e-4, key
    notes = decode_notes(melody_grams)
    assert len(notes) == len(ref["notes"])
    for ours, (start, end, pitch, amplitude, bends) in zip(notes, ref["notes"], strict=True):
        assert ours.pitch == pitch
        assert ours.start == pytest.approx(start, abs=1e-6) and ours.end == pytest.approx(end, abs=1e-6)
        assert ours.amplitude == pytest.approx(amplitude, abs=1e-4)
        assert (list(ours.pitch_bends) if ours.pitch_bends else None) == bends


def test_transcribes_the_notes_that_were_played(melody_grams):
    notes = decode_notes(melody_grams)
    ref_intervals = np.array([[s, s + d] for _, s, d in MELODY])
    ref_hz = np.array([440.0 * 2 ** ((p - 69) / 12) for p, _, _ in MELODY])
    est_intervals = np.array([[n.start, n.end] for n in notes])
    est_hz = np.array([440.0 * 2 ** ((n.pitch - 69) / 12) for n in notes])
    _, recall, _, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref_intervals, ref_hz, est_intervals, est_hz, onset_tolerance=0.05, offset_ratio=None)
    assert recall == 1.0  # every played note, at its pitch, within 50 ms of its onset
    # Upper partials of these bright synthetic tones may add a few extra notes, never more than a few.
    assert len(notes) <= len(MELODY) + 4


def test_frame_count_and_windowing_follow_the_original(net):
    """A 9 s tone crosses four window boundaries and stays one note; the frame count is the original's."""
    sr = 22050
    t = np.arange(9 * sr) / sr
    y = (0.3 * np.sin(2 * np.pi * 220.0 * t) * np.minimum(1, t / 0.01)).astype(np.float32)
    y[-sr // 2:] = 0
    seen = []
    grams = bp.predict_posteriorgrams(y, sr, model=net, batch_size=2, progress=lambda f, s: seen.append((f, s)))
    assert grams.note.shape == (int(np.floor(len(y) * 86 / 22050)), 88)
    assert grams.contour.shape[1] == 264
    assert seen[-1][0] == 1.0 and all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert all(isinstance(stage, str) and stage for _, stage in seen)
    notes = [n for n in decode_notes(grams) if n.pitch == 57]
    assert len(notes) == 1
    assert notes[0].start < 0.05 and abs(notes[0].end - 8.5) < 0.1


def test_stereo_and_other_sample_rates_are_accepted(net):
    y = melody_signal(44100)
    stereo = np.stack([y, y])
    a = bp.predict_posteriorgrams(stereo, 44100, model=net)
    b = bp.predict_posteriorgrams(y, 44100, model=net)
    assert np.array_equal(a.note, b.note)
    with pytest.raises(ValueError, match="1-D or"):
        bp.predict_posteriorgrams(np.zeros((2, 2, 100), np.float32), 44100, model=net)


def test_decoding_rules_on_a_hand_made_posteriorgram():
    """An onset peak starts a note that lasts while the frame activation holds; a sudden rise of
    the frame activation counts as an onset too; without one, a strong region still becomes a note
    (melodia); short blips are dropped."""
    n = 300
    note = np.zeros((n, 88), np.float32)
    onset = np.zeros((n, 88), np.float32)
    note[50:120, 60 - MIDI_OFFSET] = 0.8
    onset[49:52, 60 - MIDI_OFFSET] = [0.3, 0.9, 0.3]
    note[200:260, 67 - MIDI_OFFSET] = 0.6  # no onset
    note[150:155, 72 - MIDI_OFFSET] = 0.9  # too short (5 frames < 11)
    grams = bp.Posteriorgrams(note=note, onset=onset, contour=np.zeros((n, 264), np.float32))
    times = frames_to_seconds(n)
    notes = sorted(decode_notes(grams), key=lambda e: e.start)
    assert [e.pitch for e in notes] == [60, 67]
    assert notes[0].start == times[50] and notes[0].end == times[120]
    # An onset-started note ends where the 11 frames below threshold began (exclusive end).
    assert notes[1].start == times[200] and notes[1].end == times[260]
    assert notes[0].velocity == round(127 * 0.8)
    melodia = decode_notes(grams, NoteSettings(infer_onsets=False))
    assert sorted((e.pitch, e.start, e.end) for e in melodia) == [(60, times[50], times[120]),
                                                                  (67, times[200], times[259])]
    only_onsets = decode_notes(grams, NoteSettings(infer_onsets=False, melodia_trick=False))
    assert [e.pitch for e in only_onsets] == [60]
    assert [e.pitch for e in decode_notes(grams, NoteSettings(max_frequency=300.0))] == [60]  # G4 is 392 Hz


def test_melodia_heap_visits_frames_like_the_original_argmax_loop():
    """The heap in _melodia must pick the same frames as basic-pitch's repeated np.argmax."""
    from sonicai.music.transcription.notes import _ENERGY_TOLERANCE, _MAX_NOTE_BIN, _melodia

    def original(frames, energy, thresh, min_len):  # transcription of note_creation's loop
        n_frames = energy.shape[0]
        out = []
        while np.max(energy) > thresh:
            i_mid, f = np.unravel_index(np.argmax(energy), energy.shape)
            energy[i_mid, f] = 0
            for step, stop in ((1, n_frames - 1), (-1, 0)):
                i, k = i_mid + step, 0
                while (i < stop if step > 0 else i > stop) and k < _ENERGY_TOLERANCE:
                    k = k + 1 if energy[i, f] < thresh else 0
                    energy[i, f] = 0
                    if f < _MAX_NOTE_BIN:
                        energy[i, f + 1] = 0
                    if f > 0:
                        energy[i, f - 1] = 0
                    i += step
                if step > 0:
                    end = i - 1 - k
                else:
                    start = i + 1 + k
            if end - start > min_len:
                out.append((start, end, f + MIDI_OFFSET, float(np.mean(frames[start:end, f]))))
        return out

    rng = np.random.default_rng(3)
    for _ in range(3):
        frames = (rng.random((400, 88)) ** 6).astype(np.float32)
        frames[rng.integers(0, 400, 40), rng.integers(0, 88, 40)] = 0.75  # ties for argmax
        ref = original(frames, frames.astype(np.float64), 0.3, 2)
        assert _melodia(frames, frames.astype(np.float64), 0.3, 2) == ref
        assert len(ref) > 5


def _field(number: int, payload) -> bytes:
    """Protobuf encoding of one field: ints as varints (wire 0), bytes as length-delimited (wire 2)."""
    def varint(v: int) -> bytes:
        out = bytearray()
        while True:
            out.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
            v >>= 7
            if not v:
                return bytes(out)
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def test_onnx_reader_decodes_packed_and_unpacked_fields(tmp_path):
    from sonicai.music.transcription.onnx_graph import read_onnx_graph

    weights = np.arange(6, dtype="<f4") - 2.5
    packed_dims = _field(1, bytes([2, 3]))  # repeated int64 dims, packed
    tensor = packed_dims + _field(2, 1) + _field(4, weights.tobytes()) + _field(8, b"w")
    int64s = _field(1, 2) + _field(2, 7) + _field(7, bytes([5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                                         0xFF, 0xFF, 0xFF, 0x01])) + _field(8, b"n")
    attribute = _field(1, b"strides") + _field(8, 1) + _field(8, 3)  # unpacked repeated ints
    node = _field(1, b"x") + _field(1, b"w") + _field(2, b"y") + _field(3, b"conv0") + _field(4, b"Conv") \
        + _field(5, attribute)
    model = _field(1, 8) + _field(7, _field(1, node) + _field(5, tensor) + _field(5, int64s))
    path = tmp_path / "tiny.onnx"
    path.write_bytes(model)
    graph = read_onnx_graph(path)
    (conv,) = graph.nodes
    assert (conv.op_type, conv.name, conv.inputs, conv.outputs) == ("Conv", "conv0", ["x", "w"], ["y"])
    assert conv.attributes == {"strides": [1, 3]}
    assert np.array_equal(graph.constant(conv, 1), weights.reshape(2, 3))
    assert graph.initializers["n"].tolist() == [5, -1] and graph.consumers("w") == [conv]


def test_a_bass_stem_is_transcribed_as_one_line(net):
    # basic-pitch writes a bass note's overtones and the chords bleeding into the stem as notes of their own: 160
    # notes for a 32-note line. A bass plays one note at a time.
    from sonicai.music.transcription.transcribe import transcribe
    from tests.music.transcription_signals import harmonic_tone

    sr, beat, roots = 22050, 0.625, (45, 41, 48, 43)  # | A | F | C | G | in quarter notes at 96 BPM
    y, line = np.zeros(int(21 * sr)), []
    for bar, root in enumerate(roots * 2):
        for k in range(4):
            start = (4 * bar + k) * beat
            tone = 0.4 * harmonic_tone(root, 0.9 * beat, sr)
            y[int(start * sr):int(start * sr) + len(tone)] += tone
            line.append((root, start))
        for interval in (0, 4 if root in (41, 48, 43) else 3, 7):  # the chord two octaves up, quietly
            tone = 0.12 * harmonic_tone(root + 24 + interval, 4 * beat * 0.95, sr)
            y[int(4 * bar * beat * sr):int(4 * bar * beat * sr) + len(tone)] += tone
    notes = transcribe(y.astype(np.float32), sr, "bass", model=net)
    found = [any(n.pitch == p and abs(n.start - t) < 0.06 for n in notes) for p, t in line]
    assert np.mean(found) >= 0.95 and len(notes) <= 1.2 * len(line), (len(notes), np.mean(found))
    over = [(a.pitch, b.pitch) for a in notes for b in notes if a.pitch > b.pitch
            and min(a.end, b.end) - max(a.start, b.start) > 0.5 * (a.end - a.start)]
    assert not over, over[:5]
