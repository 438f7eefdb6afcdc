"""The composer's music carries the mood the prompt asked for, as the studio's mood inputs (musicnn tags +
analysis features) hear it.

The top-two check is judged by the circumplex prior (``mood-prior-1``), whose conventions (tempo, mode,
loudness, brightness, affective tags) are the ones the composer writes to. The shipped default head was fitted
on real recordings (Emotify and the 4Q set) and has heard no General-MIDI render (docs/mood_model.md), so for it
the test checks only the arousal ordering a listener would agree with."""

import importlib.util
from pathlib import Path

import pytest

from sonicai.music.analysis.pipeline import analyze_signal
from sonicai.music.compose.engine import compose
from sonicai.music.tagging.mood.model import load_mood_model
from sonicai.music.tagging.mood.prior import PRIOR_VERSION
from sonicai.music.tagging.musicnn import MusicnnTagger

#: The SoundFont every machine has (pretty_midi's), so the pieces do not change with the system's SoundFonts.
SOUNDFONT = Path(importlib.util.find_spec("pretty_midi").submodule_search_locations[0]) / "TimGM6mb.sf2"


@pytest.fixture(scope="module")
def inputs():
    tagger = MusicnnTagger.load()
    patch = pytest.MonkeyPatch()
    patch.setenv("SONICAI_SOUNDFONT", str(SOUNDFONT))

    def run(prompt):
        r = compose(prompt, 9.0, seed=2)
        analysis = analyze_signal(r.audio, r.sr)
        tagged = tagger.tag(r.audio.mean(axis=0), r.sr)
        features = {**analysis["features"], "loudness_lufs": analysis.get("loudness_lufs")}
        return r, (tagged.tags, tagged.embedding, features, analysis["tempo_bpm"], analysis["mode"])

    yield run
    patch.undo()


@pytest.mark.parametrize("prompt,mood", [
    ("happy song", "happy"), ("sad song", "sad"), ("calm music", "calm"), ("energetic track", "energetic"),
])
def test_requested_mood_is_in_the_priors_top_two(inputs, prompt, mood):
    prior = load_mood_model(None, default_head=None)
    assert prior.version == PRIOR_VERSION
    r, args = inputs(prompt)
    assert r.summary["mood"] == mood
    assert mood in prior.predict(*args).ranked[:2]


def test_default_head_hears_energetic_and_happy_music_as_more_aroused(inputs):
    head = load_mood_model(None)
    arousal = {p: head.predict(*inputs(p)[1]).arousal for p in ("energetic track", "calm music", "happy song",
                                                                "sad song")}
    assert arousal["energetic track"] > arousal["calm music"] + 0.1
    assert arousal["happy song"] > arousal["sad song"] + 0.1
