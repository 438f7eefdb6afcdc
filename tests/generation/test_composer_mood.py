"""The composer's music carries the mood the prompt asked for, as the studio's own mood
classifier (musicnn tags + analysis features + the mood model) hears it."""

import pytest

from generation.composer.engine import compose
from mood.analysis.pipeline import analyze_signal
from mood.mood_model import load_mood_model
from mood.tagger.musicnn import MusicnnTagger


@pytest.fixture(scope="module")
def classify():
    tagger, model = MusicnnTagger.load(), load_mood_model(None)

    def run(audio, sr):
        analysis = analyze_signal(audio, sr)
        tagged = tagger.tag(audio.mean(axis=0), sr)
        features = {**analysis["features"], "loudness_lufs": analysis.get("loudness_lufs")}
        return model.predict(tagged.tags, tagged.embedding, features, analysis["tempo_bpm"], analysis["mode"])

    return run


@pytest.mark.parametrize("prompt,mood", [
    ("happy song", "happy"), ("sad song", "sad"), ("calm music", "calm"), ("energetic track", "energetic"),
])
def test_requested_mood_is_in_the_classifiers_top_two(classify, prompt, mood):
    r = compose(prompt, 9.0, seed=2)
    assert r.summary["mood"] == mood
    assert mood in classify(r.audio, r.sr).ranked[:2]
