"""Writing results: whole files under their name, readable like any other file the user makes."""

import os
import stat
import tracemalloc

import numpy as np
import pytest

from sonicai.music.audio_io import AudioDecodeError, load_audio, probe, write_audio


def test_written_audio_round_trips_and_gets_the_umask_mode(tmp_path):
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)).astype(np.float32)[None].repeat(2, 0)
    old = os.umask(0o022)
    try:
        path = write_audio(tmp_path / "stems" / "vocals.flac", tone, 8000)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's 0600: others can read a shared result
    back, sr = load_audio(path, sr=None, mono=False)
    assert sr == 8000 and back.shape == tone.shape
    assert np.max(np.abs(back - tone)) < 1e-4  # 16-bit FLAC
    assert [p.name for p in path.parent.iterdir()] == ["vocals.flac"]  # no temporary file left


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="cannot write format"):
        write_audio(tmp_path / "x.aiff", np.zeros((2, 100), np.float32), 8000)
    with pytest.raises(Exception):  # noqa: B017 - soundfile's own error for an impossible rate
        write_audio(tmp_path / "y.wav", np.zeros((2, 100), np.float32), 0)
    assert list(tmp_path.iterdir()) == []


def test_probing_a_long_file_decodes_it_all_without_holding_it(tmp_path):
    """Every upload is probed on the web process: its memory must not grow with the song's length."""
    sr, seconds = 44100, 120
    t = np.arange(sr * seconds) / sr
    path = write_audio(tmp_path / "long.wav", np.stack([np.sin(2 * np.pi * 220 * t)] * 2) * 0.5, sr)
    tracemalloc.start()
    try:
        info = probe(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.duration == pytest.approx(seconds) and info.channels == 2 and info.sample_rate == sr
    assert peak < 8 * 2 ** 20, peak  # the decoded song is 42 MB of float32


def test_probing_refuses_a_file_whose_samples_are_not_numbers(tmp_path):
    audio = np.zeros((1, 44100 * 3), dtype=np.float32)
    audio[0, 100_000] = np.nan
    path = write_audio(tmp_path / "nan.wav", audio, 44100, fmt="wavf")
    with pytest.raises(AudioDecodeError):
        probe(path)
