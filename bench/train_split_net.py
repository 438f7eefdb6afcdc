"""Training the drums/bass/other split network (stems/engines/split_net.py).

Two kinds of training songs, both stored as float16 STFT magnitudes of what the network sees in the
studio (Spleeter's accompaniment and vocals of the mix) next to the true stems:

- real multitracks: MUSDB18's 7-second previews, train split only (``data-musdb``: the 94 previews as
  they are, plus remixes of stems drawn from different songs), optionally with the train split of
  bench/multitrack_songs.py's full-length songs (``--multitrack``);
- synthetic songs: bench/make_stem_set.py and bench/varied_song.py songs rendered with *other*
  SoundFonts than the benchmark (Debian's FluidR3_GM and MuseScore_General; the benchmark uses
  pretty_midi's TimGM6mb), other seeds (1000+) and stem levels varied by +-4 dB.

  .venv/bin/python -m bench.train_split_net data-musdb DIR --musdb MUSDB18-7 --remixes 400 --seed 0 [--multitrack M]
  .venv/bin/python -m bench.train_split_net data DIR --first-seed 1000 --songs 60 [--varied]
  .venv/bin/python -m bench.train_split_net train DIR [DIR ...] --steps 3000 [--init W] [--out W]

``data`` needs ``apt-get install fluid-soundfont-gm musescore-general-soundfont-small``.
Training runs on random 6 s excerpts of one channel with random gain (-12..+6 dB). The loss of the shipped
weights (``--loss l1``, the default) is the L1 distance between each masked accompaniment magnitude and the true
stem's magnitude (the voice target is what Spleeter left of the singer in the accompaniment). ``--loss sdr``
is minus the SDR of the four stems the studio returns, exact per bin through each target's part along and
across the accompaniment's phase; tried on 2026-12-02 and not adopted (docs/stems.md). docs/stems.md records
the recipe of the shipped weights.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from bench.varied_song import make_varied_song
from sonicai.music.separation import split, split_net
from sonicai.music.separation.spleeter_engine import SpleeterEngine
from sonicai.music.separation.split_training import l1_loss, phase_parts, sdr_loss
from sonicai.music.testing.stem_songs import SR, make_song

SOUNDFONTS = [Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")]
PATCH_FRAMES = 256


def _stft(x: np.ndarray) -> torch.Tensor:
    return split.stft(x, torch.hann_window(split.N_FFT))[:, : split_net.NET_BINS]


def stft_mag(x: np.ndarray) -> np.ndarray:
    return _stft(x).abs().numpy()


def _save_song(out: Path, name: str, stems: dict[str, np.ndarray], engine: SpleeterEngine) -> None:
    """Per channel: magnitudes of the accompaniment and Spleeter's vocals, and each target (drums, bass, other,
    voice left in the accompaniment) split into its part along the accompaniment's phase, ``|S| cos(dphi)``, and
    across it, ``|S| sin(dphi)``. A real mask m on the accompaniment X errs by exactly
    ``|m |X| - |S| cos|^2 + |S|^2 sin^2`` in each bin (Erdogan et al. 2015's phase-sensitive target), so these
    give both the magnitude (L1) loss and the loss on the stems' real error (SDR). Also per frame: the
    energy of the true vocals, the denominator of the vocal stem's SDR."""
    mix = sum(stems.values())
    vocals = engine.vocals(mix, SR)
    acc = mix - vocals
    voice_left = acc - stems["drums"] - stems["bass"] - stems["other"]
    acc_spec = _stft(acc)
    parts = [phase_parts(_stft(a), acc_spec) for a in (stems["drums"], stems["bass"], stems["other"], voice_left)]
    planes = [acc_spec.abs(), _stft(vocals).abs(), *(a for a, _ in parts), *(c for _, c in parts)]
    data = torch.stack(planes, dim=1).numpy().astype(np.float16)  # (ch, 10, F, T)
    np.save(out / f"song_{name}.npy", data)
    vocal_energy = (_stft(stems["vocals"]).abs() ** 2).sum(dim=1).numpy().astype(np.float32)  # (ch, T)
    np.save(out / f"vocal_energy_{name}.npy", vocal_energy)


def make_data(out: Path, first_seed: int, songs: int, seconds: float, varied: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    engine = SpleeterEngine(device="cpu")
    for seed in range(first_seed, first_seed + songs):
        t = time.perf_counter()
        song = make_varied_song if varied else make_song
        stems = song(seed, seconds, soundfont=SOUNDFONTS[seed % len(SOUNDFONTS)], level_jitter_db=4.0)
        _save_song(out, str(seed), stems, engine)
        print(f"song {seed}: {time.perf_counter() - t:.1f} s", flush=True)


def make_musdb_data(out: Path, musdb: Path, remixes: int, seed: int, multitrack: Path | None = None) -> None:
    """Real songs: MUSDB18's train-split previews as they are, then ``remixes`` mixtures of stems drawn from
    different songs (each stem from its own song, level varied by +-4 dB, sometimes left out), the
    augmentation separation networks are commonly trained with. With ``multitrack``, the train split of
    bench/multitrack_songs.py's full-length songs joins both, cut into pieces as long as the previews. The
    test splits are never read."""
    from bench import multitrack_songs
    from bench.musdb_previews import load_split

    out.mkdir(parents=True, exist_ok=True)
    engine = SpleeterEngine(device="cpu")
    songs = [stems for _, stems in load_split(musdb, "train")]
    for i, stems in enumerate(songs):
        _save_song(out, f"musdb{i:03d}", stems, engine)
    if multitrack:
        piece = songs[0]["drums"].shape[1]
        for name, stems in multitrack_songs.load_split(multitrack, "train"):
            n = stems["drums"].shape[1]
            for k, start in enumerate(range(0, n - piece + 1, piece)):
                part = {s: x[:, start : start + piece] for s, x in stems.items()}
                _save_song(out, f"mt_{name}_{k:03d}", part, engine)
                songs.append(part)
        print(f"{len(songs)} real pieces", flush=True)
    rng = np.random.default_rng(seed)
    names = ("drums", "bass", "other", "vocals")
    for i in range(remixes):
        stems = {}
        for name in names:
            src = songs[int(rng.integers(len(songs)))][name]
            gain = 0.0 if rng.random() < 0.1 else 10 ** (rng.uniform(-4, 4) / 20)
            stems[name] = src[::-1] if rng.random() < 0.5 else src  # swap the channels half the time
            stems[name] = stems[name] * gain
        _save_song(out, f"remix{i:04d}", stems, engine)
        if i % 50 == 0:
            print(f"remix {i}", flush=True)


def tone_bank(count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Magnitudes (F, PATCH_FRAMES) of pure-sine triads (test tones, the purest synth patches): the songs
    have none, and without them the network took sine chords for voice."""
    n = (PATCH_FRAMES - 1) * split.HOP
    t = np.arange(n) / SR
    bank = []
    for _ in range(count):
        y = np.zeros(n)
        start = 0.0
        while start < t[-1]:
            dur = rng.uniform(0.4, 3.0)
            root = int(rng.integers(45, 80))
            env = ((t >= start) & (t < start + dur)) * np.minimum(1, (t - start).clip(0) / 0.02)
            for interval in (0, int(rng.choice([3, 4])), 7):
                y += env * np.sin(2 * np.pi * 440 * 2 ** ((root + interval - 69) / 12) * t)
            start += dur
        y *= 10 ** (rng.uniform(-30, -20) / 20) / (np.sqrt(np.mean(y**2)) + 1e-9)
        bank.append(stft_mag(y[None])[0])
    return bank


def batches(data: list[tuple[np.ndarray, np.ndarray]], batch: int, rng: np.random.Generator,
            tones: list[np.ndarray], tone_share: float):
    """Random one-channel excerpts with random gain: inputs (B, 4, F, T), the targets' parts along and across
    the accompaniment's phase (B, 4, F, T) each, and the true vocals' energy per frame (B, T)."""
    while True:
        items, energies = [], []
        for _ in range(batch):
            song, vocal_energy = data[int(rng.integers(len(data)))]
            ch = int(rng.integers(song.shape[0]))
            t0 = int(rng.integers(0, song.shape[-1] - PATCH_FRAMES))
            gain = 10 ** (rng.uniform(-12, 6) / 20)
            item = song[ch, :, :, t0 : t0 + PATCH_FRAMES].astype(np.float32)
            if tones and rng.random() < tone_share:
                # the tones' few partials join 'other', taken as in phase with the accompaniment where they land
                tone = tones[int(rng.integers(len(tones)))]
                item[0] += tone
                item[4] += tone
            items.append(item * gain)
            energies.append(vocal_energy[ch, t0 : t0 + PATCH_FRAMES] * gain**2)
        x = torch.from_numpy(np.stack(items))  # (B, 10, F, T)
        harm, perc = split_net.hpss_inputs(x[:, 0])
        yield (torch.stack([x[:, 0], x[:, 1], harm, perc], dim=1), x[:, 2:6], x[:, 6:10],
               torch.from_numpy(np.stack(energies)))


def train(data_dirs: list[Path], steps: int, out: Path, batch: int, lr: float, seed: int, init: Path | None = None,
          weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0), tone_share: float = 0.0, width: float = 1.0,
          loss_name: str = "l1") -> None:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    # each (ch, 10, F, T): acc, vocals, then drums, bass, other, voice along and across the accompaniment's phase
    files = [p for d in data_dirs for p in sorted(d.glob("song_*.npy"))]
    stale = [p for p in files if np.load(p, mmap_mode="r").shape[1] != 10]
    if stale:
        raise SystemExit(f"{stale[0]} holds magnitudes only (data made before 2026-12-02): make the data again")
    data = [(np.load(p), np.load(p.with_name(p.name.replace("song_", "vocal_energy_")))) for p in files]
    tones = tone_bank(64, rng) if tone_share > 0 else []
    print(f"{len(data)} songs", flush=True)
    channels = tuple(int(round(c * width)) for c in split_net.CHANNELS)
    net = split_net.load(init) if init else split_net.SplitNet(channels)
    net.train()
    weight = torch.tensor(weights)
    print(f"{sum(p.numel() for p in net.parameters())} parameters", flush=True)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    t = time.perf_counter()
    running = 0.0
    stream = batches(data, batch, rng, tones, tone_share)
    for step, (inputs, along, across, vocal_energy) in zip(range(1, steps + 1), stream, strict=False):
        acc = inputs[:, 0]
        m = split_net.expand(net(split_net.features(*inputs.unbind(dim=1))))  # (B, 4, F, T)
        if loss_name == "sdr":
            loss = sdr_loss(m, acc, along, across, vocal_energy, weight)
        else:
            loss = l1_loss(m, acc, along, across, weight)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        if step % 100 == 0:
            print(f"step {step}: loss {running / 100:.5f} ({time.perf_counter() - t:.0f} s)", flush=True)
            running = 0.0
            out.parent.mkdir(parents=True, exist_ok=True)
            torch.save({k: v.half() for k, v in net.state_dict().items()}, out)
    torch.save({k: v.half() for k, v in net.state_dict().items()}, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("dir", type=Path)
    d.add_argument("--first-seed", type=int, default=1000)
    d.add_argument("--songs", type=int, default=80)
    d.add_argument("--seconds", type=float, default=20.0)
    d.add_argument("--varied", action="store_true", help="bench/varied_song.py songs instead of the one band")
    dm = sub.add_parser("data-musdb", help="real songs: MUSDB18 train previews and remixes of their stems")
    dm.add_argument("dir", type=Path)
    dm.add_argument("--musdb", type=Path, required=True, help="folder with train/*.stem.mp4 (MUSDB18-7)")
    dm.add_argument("--remixes", type=int, default=400)
    dm.add_argument("--seed", type=int, default=0)
    dm.add_argument("--multitrack", type=Path, help="folder with bench/multitrack_songs.py's songs (train split)")
    tr = sub.add_parser("train")
    tr.add_argument("dir", type=Path, nargs="+")
    tr.add_argument("--steps", type=int, default=3000)
    tr.add_argument("--batch", type=int, default=8)
    tr.add_argument("--lr", type=float, default=2e-3)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out", type=Path, default=split_net.WEIGHTS)
    tr.add_argument("--init", type=Path, help="continue from these weights")
    tr.add_argument("--weights", default="1,1,1,1", help="loss weight of drums, bass, other, voice")
    tr.add_argument("--width", type=float, default=1.0, help="channel multiplier of a network trained from scratch")
    tr.add_argument("--tone-share", type=float, default=0.0, help="share of excerpts with sine triads added to other")
    tr.add_argument("--loss", choices=("l1", "sdr"), default="l1",
                    help="L1 on magnitudes (the shipped weights' recipe) or minus the returned stems' SDR")
    args = ap.parse_args()
    if args.cmd == "data-musdb":
        make_musdb_data(args.dir, args.musdb, args.remixes, args.seed, args.multitrack)
    elif args.cmd == "data":
        make_data(args.dir, args.first_seed, args.songs, args.seconds, args.varied)
    else:
        train(args.dir, args.steps, args.out, args.batch, args.lr, args.seed, args.init,
              tuple(float(w) for w in args.weights.split(",")), args.tone_share, args.width, args.loss)


if __name__ == "__main__":
    main()
