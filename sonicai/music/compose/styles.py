"""Genre styles: tempo, drum grooves, bass and harmony idioms, instruments, production.

Drum patterns are 16-step grids (sixteenth notes of one 4/4 bar); "x" is a normal
hit, "X" an accent, "." a rest. Progressions are scale degrees (1-7) per bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KICK, SNARE, CLAP, RIM, HAT, OPEN_HAT, RIDE, CRASH, SHAKER, TOM = 36, 38, 39, 37, 42, 46, 51, 49, 70, 45


@dataclass(frozen=True)
class Style:
    name: str
    tempo_range: tuple[float, float]
    default_tempo: float
    swing: float  # 0 = straight sixteenths, 0.33 = strong shuffle
    drums: dict[str, dict[int, str]]  # intensity ("low"/"high") -> {GM drum note: 16-step grid}
    bass: str  # root8 | root4 | walking | syncopated | sustain | octave | reggae
    bass_program: int
    harmony_program: int
    voicing: str  # block | shell | power | arpeggio | stab | pad | skank
    pad_program: int | None
    melody_program: int
    progressions: dict[str, list[list[int]]] = field(default_factory=dict)  # mode -> progressions
    sevenths: bool = False
    production: dict = field(default_factory=dict)
    description: str = ""


def _g(**grids: str) -> dict[int, str]:
    names = {"kick": KICK, "snare": SNARE, "clap": CLAP, "rim": RIM, "hat": HAT, "open": OPEN_HAT, "ride": RIDE,
             "shaker": SHAKER, "tom": TOM}
    return {names[k]: v for k, v in grids.items()}


POP_PROGS = {"major": [[1, 5, 6, 4], [1, 6, 4, 5], [1, 4, 5, 4], [6, 4, 1, 5]],
             "minor": [[1, 6, 3, 5], [1, 4, 6, 5], [1, 7, 6, 5], [1, 6, 7, 5]]}
JAZZ_PROGS = {"major": [[1, 6, 2, 5], [1, 4, 3, 6], [1, 1, 4, 4]], "minor": [[1, 4, 1, 5], [1, 6, 2, 5]]}
CLASSICAL_PROGS = {"major": [[1, 4, 5, 1], [1, 6, 4, 5], [1, 2, 5, 1]], "minor": [[1, 4, 5, 1], [1, 6, 4, 5]]}

STYLES: dict[str, Style] = {
    "pop": Style("pop", (95, 128), 110, 0.0,
                 {"low": _g(kick="x.......x.......", snare="....x.......x...", hat="x.x.x.x.x.x.x.x."),
                  "high": _g(kick="x.....x.x.......", snare="....x.......x...", hat="xxxxxxxxxxxxxxxx",
                             clap="....x.......x...")},
                 "root8", 33, 0, "block", 89, 80, POP_PROGS, production={"reverb": 0.25},
                 description="bright radio pop"),
    "edm": Style("edm", (120, 130), 126, 0.0,
                 {"low": _g(kick="x...x...x...x...", hat="..x...x...x...x."),
                  "high": _g(kick="x...x...x...x...", clap="....x.......x...", hat="..x...x...x...x.",
                             open="..x...x...x...x.")},
                 "octave", 38, 81, "stab", 90, 81, POP_PROGS,
                 production={"sidechain": 0.7, "reverb": 0.3, "highpass_harmony": 180},
                 description="four-on-the-floor electronic dance music"),
    "house": Style("house", (118, 128), 124, 0.05,
                   {"low": _g(kick="x...x...x...x...", hat="..x...x...x...x."),
                    "high": _g(kick="x...x...x...x...", clap="....x.......x...", hat="..x...x...x...x.",
                               shaker="xxxxxxxxxxxxxxxx")},
                   "syncopated", 38, 4, "stab", 89, 81, JAZZ_PROGS, sevenths=True,
                   production={"sidechain": 0.5, "reverb": 0.3}, description="deep house groove"),
    "hiphop": Style("hiphop", (80, 100), 90, 0.2,
                    {"low": _g(kick="x.......x.x.....", snare="....x.......x...", hat="x.x.x.x.x.x.x.x."),
                     "high": _g(kick="x.....x...x.x...", snare="....x.......x...", hat="x.xxx.x.x.xxx.x.")},
                    "syncopated", 38, 4, "shell", 89, 11, POP_PROGS, sevenths=True,
                    production={"drum_drive": 0.4, "reverb": 0.15}, description="boom-bap hip-hop"),
    "lofi": Style("lofi", (70, 90), 80, 0.28,
                  {"low": _g(kick="x.......x.x.....", snare="....x.......x...", hat="x.x.x.x.x.x.x.x."),
                   "high": _g(kick="x.....x...x.....", snare="....x.......x...", hat="x.xxx.x.x.xxx.x.",
                              rim="..........x.....")},
                  "sustain", 33, 4, "shell", 89, 11, JAZZ_PROGS, sevenths=True,
                  production={"lowpass": 4500, "vinyl": 0.012, "wobble": 0.0025, "crush": True, "reverb": 0.2},
                  description="lo-fi hip-hop: dusty, warm, laid back"),
    "jazz": Style("jazz", (100, 180), 132, 0.33,
                  {"low": _g(ride="x..xx..xx..xx..x", kick="x.......x.......", hat="....x.......x..."),
                   "high": _g(ride="x..xx..xx..xx..x", kick="x.....x.x.......", snare="......x.......x.",
                              hat="....x.......x...")},
                  "walking", 32, 0, "shell", None, 65,
                  {"major": [[1, 6, 2, 5], [1, 1, 2, 5]], "minor": [[1, 1, 4, 5], [1, 6, 2, 5]]}, sevenths=True,
                  production={"reverb": 0.35}, description="swinging small-group jazz"),
    "rock": Style("rock", (100, 150), 124, 0.0,
                  {"low": _g(kick="x.......x.......", snare="....x.......x...", hat="x.x.x.x.x.x.x.x."),
                   "high": _g(kick="x.x.....x.x.....", snare="....x.......x...", hat="x.x.x.x.x.x.x.x.",
                              open="..............x.")},
                  "root8", 34, 29, "power", None, 30, POP_PROGS,
                  production={"drive": 0.5, "reverb": 0.2}, description="driving guitar rock"),
    "classical": Style("classical", (66, 120), 88, 0.0, {"low": {}, "high": _g(tom="x...............")},
                       "sustain", 42, 48, "arpeggio", 49, 40, CLASSICAL_PROGS,
                       production={"reverb": 0.6}, description="orchestral strings and piano"),
    "ballad": Style("ballad", (60, 80), 68, 0.0,
                    {"low": _g(kick="x.......x......."), "high": _g(kick="x.......x.......", rim="....x.......x...")},
                    "sustain", 32, 24, "arpeggio", None, 0, {"major": [[1, 6, 4, 5], [1, 4, 6, 5]],
                                                          "minor": [[1, 6, 4, 5], [1, 4, 6, 7], [1, 7, 6, 5]]},
                    production={"reverb": 0.5, "lowpass": 5000},
                    description="slow, sparse ballad: fingerpicked guitar and piano"),
    "ambient": Style("ambient", (72, 96), 84, 0.0, {"low": {}, "high": _g(shaker="x.x.x.x.x.x.x.x.")},
                     "sustain", 38, 88, "pad", 89, 88, POP_PROGS,
                     production={"reverb": 0.8, "lowpass": 8000}, description="slow evolving pads"),
    "cinematic": Style("cinematic", (70, 110), 90, 0.0,
                       {"low": _g(tom="x.......x.......", kick="x..............."),
                        "high": _g(tom="x..x..x.x..x..x.", kick="x.......x.......", snare="........x.......")},
                       "sustain", 43, 48, "pad", 49, 60, CLASSICAL_PROGS,
                       production={"reverb": 0.6}, description="epic film score"),
    "funk": Style("funk", (96, 118), 104, 0.1,
                  {"low": _g(kick="x..x..x...x.....", snare="....x.......x...", hat="xxxxxxxxxxxxxxxx"),
                   "high": _g(kick="x..x..x...x..x..", snare="....x..x.x..x...", hat="xxxxxxxxxxxxxxxx")},
                  "syncopated", 36, 16, "stab", None, 62, JAZZ_PROGS, sevenths=True,
                  production={"reverb": 0.15}, description="tight syncopated funk"),
    "rnb": Style("rnb", (65, 95), 78, 0.15,
                 {"low": _g(kick="x......x..x.....", snare="....x.......x...", hat="x.x.x.x.x.x.x.x."),
                  "high": _g(kick="x......x..x.x...", snare="....x.......x...", hat="xxx.x.xxx.x.x.xx")},
                 "syncopated", 38, 4, "shell", 89, 80, JAZZ_PROGS, sevenths=True,
                 production={"reverb": 0.3}, description="smooth R&B"),
    "reggae": Style("reggae", (70, 90), 76, 0.1,
                    {"low": _g(kick="........x.......", rim="........x.......", hat="x.x.x.x.x.x.x.x."),
                     "high": _g(kick="x.......x.......", rim="........x.......", hat="x.x.x.x.x.x.x.x.")},
                    "reggae", 33, 16, "skank", None, 62, POP_PROGS,
                    production={"reverb": 0.3}, description="one-drop reggae"),
}

#: Words in prompts that mean a style.
STYLE_WORDS = {
    "pop": ["pop", "radio", "catchy"], "edm": ["edm", "electronic", "dance", "techno", "trance", "rave", "club"],
    "house": ["house", "deep house"], "hiphop": ["hiphop", "hip-hop", "hip hop", "rap", "trap", "boom bap"],
    "lofi": ["lofi", "lo-fi", "lo fi", "chillhop", "study beat"], "jazz": ["jazz", "swing", "bebop", "jazzy"],
    "rock": ["rock", "punk", "grunge", "metal", "indie rock"], "classical": ["classical", "orchestral", "baroque",
                                                                             "symphony", "string quartet"],
    "ambient": ["ambient", "drone", "atmospheric", "meditation"], "cinematic": ["cinematic", "film", "epic",
                                                                                 "trailer", "soundtrack"],
    "funk": ["funk", "funky", "disco"], "rnb": ["r&b", "rnb", "soul", "neo soul"],
    "reggae": ["reggae", "dub", "ska"], "ballad": ["ballad", "lullaby"],
}
