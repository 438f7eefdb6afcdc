"""Full-length real multitracks for the separation benchmark and the split network's training.

MUSDB18's 7-second previews are short; these are whole songs recorded as separate tracks (drum mics, bass
DI/amp, guitars, keys, lead vocal), found in public multitrack-player demos on GitHub. They are not part of
the repository. Each song is a folder of per-track MP3 files under a root ``DIR``; ``SONGS`` below says
where each came from and which tracks make which stem. The tracks are raw (unmixed) channels, so every stem
(sum of its tracks, mono tracks centred) is brought to the median level of that stem, relative to the mix,
in MUSDB18-7's train split (``STEM_LEVEL_DB``), and the mix is the sum of the four stems: stems sum to it
exactly, as in the other sets.

Held out (``split="test"``): three songs with a voice, never trained on, a second real test set beside
MUSDB18-7's test split. The other songs (two of them have no voice) are for training.

Licences: the Cambridge Music Technology multitracks (``cambridge-mt``) are for educational use; Air Traffic
is a MedleyDB song (CC BY-NC-SA 4.0; its 7-second preview is in MUSDB18-7's train split); the others carry
no audio licence in their repositories. Like MUSDB18, research use only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sonicai.music.audio_io import load_audio

SR = 44100
#: Median level (dB re the mix RMS) of each stem over MUSDB18-7's 94 train songs, measured 2026-12-01.
STEM_LEVEL_DB = {"vocals": -5.4, "drums": -7.2, "bass": -7.3, "other": -6.2}
#: Mix level (dB re full scale), also MUSDB18-7's train median.
MIX_LEVEL_DB = -16.5


@dataclass(frozen=True)
class Song:
    folder: str
    repo: str
    commit: str
    split: str  # "train" or "test"
    licence: str
    stems: dict[str, tuple[str, ...]]  # stem -> track files; a missing stem is silent


SONGS = (
    Song("kevincennis__Mix.js__ClaraBerryAndWooldog_AirTraffic", "kevincennis/Mix.js",
         "580b33a341403fadfca5b21134c39dac8114ad2b", "train", "MedleyDB, CC BY-NC-SA 4.0",
         {"vocals": ("ATCLeadVocals_03.mp3", "ATCBGVocals_03.mp3"), "drums": ("ATCDrums_03.mp3",),
          "bass": ("ATCBass_03.mp3",),
          "other": ("ATCBaritoneGuitar_03.mp3", "ATCPedalSteel_03.mp3", "ATCPiano_03.mp3", "ATCTimpani_03.mp3")}),
    Song("squallooo__MT5__BigStoneCulture_FragileThoughts", "squallooo/MT5",
         "c5f6fc9c4bf6d97d1f36e981cdd3b71397d9b300", "train", "cambridge-mt",
         {"vocals": ("07_LeadVox.mp3",),
          "drums": ("01_Kick.mp3", "02_Snare.mp3", "03_Overhead.mp3", "06_Percussion.mp3"),
          "bass": ("04_BassDI.mp3",), "other": ("05_Gtr.mp3",)}),
    Song("squallooo__MT5__JohnMcKay_DaisyDaisy", "squallooo/MT5",
         "c5f6fc9c4bf6d97d1f36e981cdd3b71397d9b300", "train", "cambridge-mt",
         {"vocals": ("11_LeadVox1.mp3", "12_LeadVox2.mp3"),
          "drums": ("01_Kick.mp3", "02_Snare.mp3", "03_Overheads.mp3", "04_Tom1.mp3", "05_Tom2.mp3"),
          "bass": ("06_BassDI.mp3", "07_BassAmp.mp3"),
          "other": ("08_ElecGtr1.mp3", "09_ElecGtr2.mp3", "10_ElecGtr3.mp3")}),
    Song("audiolabs__trackswitch.js__HalcyonSky-Koronium5", "audiolabs/trackswitch.js",
         "59afcc92f1432a2886f1179805561d7b71cc0ce7", "train", "free STEM file by Native Instruments",
         {"drums": ("drums.mp3",), "bass": ("bass.mp3",), "other": ("synth.mp3", "violins.mp3")}),
    Song("ozslab__web-stem-player__MarkBoas_GarageBandSong", "ozslab/web-stem-player",
         "a160c90b5dff3a3a34584d92eea6e14f6d6edbdc", "train", "none stated",
         {"drums": ("drums.mp3",), "bass": ("bassguitar.mp3",), "other": ("clav.mp3", "horns.mp3", "leadguitar.mp3")}),
    Song("squallooo__MT5__HowToKillAConversation_HeartOnMyThumb", "squallooo/MT5",
         "c5f6fc9c4bf6d97d1f36e981cdd3b71397d9b300", "test", "cambridge-mt",
         {"vocals": ("12_LeadVox.mp3",),
          "drums": ("01_Kick.mp3", "02_Snare.mp3", "03_Overheads.mp3", "04_Room.mp3", "05_Tom1.mp3", "06_Tom2.mp3",
                    "07_Tom3.mp3"),
          "bass": ("08_BassDI.mp3", "09_BassAmp.mp3"), "other": ("10_Gtr1.mp3", "11_Gtr2.mp3")}),
    Song("kevincennis__Mix.js__BaptizedInTheFlames", "kevincennis/Mix.js",
         "3c93a0a13976071d60df0b73a675f1590ef64762", "test", "none stated",
         {"vocals": ("Vox.mp3",), "drums": ("Drums.mp3",), "bass": ("Bass.mp3",),
          "other": ("Guitars.mp3", "Keys.mp3", "Licks + Solo.mp3", "Orchestral.mp3")}),
    Song("squallooo__MT5__LondresAppelle", "squallooo/MT5",
         "c5f6fc9c4bf6d97d1f36e981cdd3b71397d9b300", "test", "none stated",
         {"vocals": ("VOCALS.mp3",), "drums": ("DRUMS.mp3", "KICK.mp3"), "bass": ("Bass.mp3",),
          "other": ("GUITAR.mp3", "GUITAR2.mp3")}),
)


def decode(path: Path) -> np.ndarray:
    """float32 (2, samples) at 44.1 kHz of an audio file; mono is centred on both channels."""
    audio, _ = load_audio(path, sr=SR)
    return np.repeat(audio, 2, axis=0) if audio.shape[0] == 1 else audio[:2]


def load_song(root: Path, song: Song) -> dict[str, np.ndarray]:
    """{stem: float32 (2, samples)} for vocals, drums, bass and other, at MUSDB18-7's median levels."""
    tracks = {stem: [decode(Path(root, song.folder, f)) for f in files] for stem, files in song.stems.items()}
    n = min(t.shape[1] for ts in tracks.values() for t in ts)
    stems = {stem: sum(t[:, :n] for t in ts) for stem, ts in tracks.items()}
    mix_rms = 10 ** (MIX_LEVEL_DB / 20)
    out = {}
    for stem, level in STEM_LEVEL_DB.items():
        if stem not in stems:
            out[stem] = np.zeros((2, n), np.float32)
            continue
        rms = float(np.sqrt(np.mean(stems[stem] ** 2)))
        out[stem] = (stems[stem] * (mix_rms * 10 ** (level / 20) / max(rms, 1e-9))).astype(np.float32)
    return out


def load_split(root: Path, split: str) -> list[tuple[str, dict[str, np.ndarray]]]:
    """(folder, stems) of every song of ``split`` ("train" or "test") found under ``root``."""
    found = [s for s in SONGS if s.split == split and Path(root, s.folder).is_dir()]
    if not found:
        raise FileNotFoundError(f"none of the {split} songs of bench/multitrack_songs.py is under {root}")
    return [(s.folder, load_song(root, s)) for s in found]
