"""The real songs with chord annotations that the chord benchmarks use, and their beat/key cache.

Data (never in git; under ``eval-data/chords/`` by default, ``--data`` elsewhere; each set was checked for
alignment by scoring a plain chroma-template labeller at every label shift before it was used):

* ``beatles_death2chroma/``: mattmcvicar/death2chroma@6387bd313778038da798900ba8002b89aafeb77c,
  ``git archive <commit> mp3s-32k chordlabs chordlabs_minmaj``. 180 Beatles songs (16 kHz mono
  32 kbit/s MP3) with the Isophonics chord annotations (Harte 2010, C4DM), manually aligned to
  these MP3s. Recordings (c) Apple Corps / EMI: evaluation on this machine only.
* ``beatles_mariogearth/beatles/audio/``: mariogearth/ChordsDetectionPython@b69e813bef92a361e7cad0a58bbd0f049b252914,
  7 of the Isophonics songs in CD quality (44.1 kHz FLAC, the QMUL originals); scored against the same
  Isophonics ``.lab`` files of the set above.

Splits, fixed before any tuning (by album): ``tune`` = the first five
albums (Please Please Me ... Help!), ``heldout`` = Rubber Soul ... Let It Be. The 7 CD-quality songs
all come from held-out albums (``cd``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path("eval-data/chords")
TUNE_ALBUMS = ("Please_Please_Me", "With_The_Beatles", "A_Hard_Day_s_Night", "Beatles_For_Sale", "Help_")
#: Songs the alignment check flags (near zero at every label shift for a plain labeller: a tape-speed or master
#: difference, a drone, a sound collage). They stay in every mean; the per-song table marks them.
FLAGGED = ("Do_You_Want_To_Know_A_Secret", "Lovely_Rita", "Wild_Honey_Pie", "Within_You_Without_You",
           "The_End", "Revolution_9", "You_Can_t_Do_That")


@dataclass(frozen=True)
class Song:
    name: str  # Album/NN-Title
    audio: Path
    lab: Path
    split: str  # tune | heldout | cd

    @property
    def flagged(self) -> bool:
        return any(f in self.name for f in FLAGGED)


def songs(data: Path = DATA) -> list[Song]:
    root = data / "beatles_death2chroma"
    out = []
    for mp3 in sorted((root / "mp3s-32k").glob("*/*.mp3")):
        rel = mp3.relative_to(root / "mp3s-32k").with_suffix("")
        lab = root / "chordlabs" / rel.with_suffix(".lab")
        if lab.exists():
            out.append(Song(str(rel), mp3, lab, "tune" if rel.parts[0] in TUNE_ALBUMS else "heldout"))
    labs = {s.name.split("/", 1)[1].split("-", 1)[1].lower(): s.lab for s in out}
    for flac in sorted((data / "beatles_mariogearth" / "beatles" / "audio").glob("*.flac")):
        title = flac.stem.split("__", 1)[1].split("_", 1)[1].lower()  # "11_Abbey_Road__11_Mean_Mr_Mustard"
        if title in labs:
            out.append(Song(f"CD/{flac.stem}", flac, labs[title], "cd"))
    return out


def load_reference(song: Song, duration: float) -> tuple[np.ndarray, list[str]]:
    """The song's labelled intervals, cut to the audio (the alignment check: some labs run past the MP3 or
    start with negative/empty intervals); only the overlap is scored."""
    import mir_eval

    intervals, labels = mir_eval.io.load_labeled_intervals(str(song.lab))
    intervals = np.clip(intervals, 0.0, duration)
    keep = intervals[:, 1] > intervals[:, 0]
    return intervals[keep], [lab for lab, k in zip(labels, keep, strict=True) if k]


def _cache_path(song: Song, cache: Path) -> Path:
    digest = hashlib.sha1(f"{song.audio}:{song.audio.stat().st_size}".encode()).hexdigest()[:16]
    return cache / f"{digest}.json"


def cached(song: Song, cache: Path) -> bool:
    return _cache_path(song, cache).exists()


def beats_and_key(song: Song, audio: np.ndarray, sr: int, cache: Path | None) -> dict:
    """Beats, tempo and key as the analysis pipeline finds them (its RNN beat tracker and key ensemble),
    cached per audio file because they cost more than the chords themselves."""
    from sonicai.music.analysis.features import HOP, N_FFT
    from sonicai.music.analysis.key import key_from_constant_q, with_cnn
    from sonicai.music.analysis.pipeline import ANALYSIS_SR, _mono_22k
    from sonicai.music.analysis.tempo import onset_envelope_from_mel, tempo_from_onsets, tempo_from_rnn

    path = None
    if cache is not None:
        path = _cache_path(song, cache)
        if path.exists():
            return json.loads(path.read_text())
    import librosa

    y = _mono_22k(audio, sr)
    tempo = tempo_from_rnn(audio, sr)
    if tempo is None:
        mag = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
        mel = librosa.feature.melspectrogram(S=mag**2, sr=ANALYSIS_SR, n_mels=128, fmax=ANALYSIS_SR / 2)
        tempo = tempo_from_onsets(onset_envelope_from_mel(mel), ANALYSIS_SR, HOP)
    key = with_cnn(key_from_constant_q(y, ANALYSIS_SR), audio, sr)
    out = {"beats": [float(b) for b in tempo.beats], "tempo_bpm": float(tempo.bpm), "key": key.tonic,
           "mode": key.mode, "tempo_method": tempo.method, "key_method": key.method}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out))
    return out
