"""The drums/bass/other split network with its trained weights, on a song it was not trained on
(bench/make_stem_set.py seed 7 with pretty_midi's TimGM6mb; training used MUSDB18's train previews and
synthetic seeds 1000+ with other SoundFonts). Its quality on real songs is measured by
bench/bench_separation.py --musdb (docs/stems.md); the repository holds no real multitracks to test with."""

import numpy as np
import pytest
import torch

from sonicai.music.separation import split, split_net
from sonicai.music.separation.base import EngineUnavailable
from sonicai.music.separation.spleeter_engine import SpleeterEngine
from sonicai.music.testing.stem_songs import make_song

SR = 44100


def sdr(ref: np.ndarray, est: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(ref**2) / np.sum((ref - est) ** 2)))


@pytest.fixture(scope="module")
def song():
    stems = make_song(7, 12.0)
    mix = sum(stems.values())
    engine = SpleeterEngine(device="cpu")
    return stems, mix, engine.vocals(mix, SR), engine.separate(mix, SR)


def test_masks_share_every_bin():
    net = split_net.load()
    mag = torch.rand(2, 2049, 70)
    harm, perc = split_net.hpss_inputs(mag)
    m = split_net.masks(net, mag, mag * 0.3, harm, perc)
    assert m.shape == (4, 2, split_net.NET_BINS, 70)
    assert float(m.min()) >= 0.0
    assert torch.allclose(m.sum(dim=0), torch.ones(2, split_net.NET_BINS, 70), atol=1e-5)
    assert split_net.carry_up(m, 2049).shape == (4, 2, 2049, 70)


def test_median_filter_is_the_running_median():
    x = torch.rand(3, 40, 50)
    for dim in (-1, -2):
        ours = split_net.median_filter(x, 17, dim)
        padded = np.pad(x.numpy(), [(0, 0), (0, 0), (8, 8)] if dim == -1 else [(0, 0), (8, 8), (0, 0)], mode="reflect")
        windows = np.lib.stride_tricks.sliding_window_view(padded, 17, axis=dim)
        assert np.allclose(ours.numpy(), np.median(windows, axis=-1))


def test_each_stem_is_found(song):
    stems, mix, _, est = song
    acc = mix - stems["vocals"]
    # "other" keeps half of what Spleeter left of this synthetic singer (split.VOICE_SHARE), hence its floor
    for name, floor in (("drums", 5.0), ("bass", 4.0), ("other", 1.0)):
        # far closer to the instrument than the whole accompaniment is, and a good estimate outright
        assert sdr(stems[name], est[name]) > sdr(stems[name], acc) + 6.0, name
        assert sdr(stems[name], est[name]) > floor, name


def test_returning_the_left_over_voice_improves_the_vocals(song):
    # Spleeter misses much of this formant-synthesised singer; half of what the network finds is returned
    stems, _, spleeter_vocals, est = song
    assert sdr(stems["vocals"], est["vocals"]) > sdr(stems["vocals"], spleeter_vocals) + 2.0


def test_chunks_join_seamlessly(monkeypatch):
    rng = np.random.default_rng(3)
    acc = rng.normal(0, 0.05, (2, 40 * SR)).astype(np.float32)
    vocals = rng.normal(0, 0.05, (2, 40 * SR)).astype(np.float32)
    net = split_net.load()
    heard = []
    chunked = split.split_with_net(acc, vocals, net, lambda fraction, stage: heard.append(fraction))
    # the bar moves after every chunk (it stood at 73 % for 29 s of a 10-minute song)
    assert len(heard) > 1 and heard == sorted(heard) and heard[-1] == 1.0
    monkeypatch.setattr(split, "NET_CHUNK_FRAMES", 10_000)
    whole = split.split_with_net(acc, vocals, net)
    for name in ("drums", "bass", "other", "voice"):
        assert sdr(whole[name], chunked[name]) > 60.0, name


def test_missing_split_weights_are_named(tmp_path):
    engine = SpleeterEngine(device="cpu", split_weights=tmp_path / "split_net.pt")
    ok, message = engine.available()
    assert not ok and "split_net.pt" in message
    with pytest.raises(EngineUnavailable, match="train_split_net"):
        engine.separate(np.zeros((2, SR), dtype=np.float32), SR)
