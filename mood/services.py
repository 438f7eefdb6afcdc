"""Music understanding for the studio: analysis + tagger + mood model, and their rows."""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
from django.conf import settings

from sonicai.music.progress import Progress, report, within

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def tagger():
    """The pretrained musicnn tagger, loaded once per worker process."""
    from sonicai.music.tagging.musicnn import MusicnnTagger

    return MusicnnTagger.load(device=settings.TORCH_DEVICE)


def mood_model():
    """The newest trained mood model in MODELS_DIR/mood, else the documented prior."""
    from sonicai.music.tagging.mood.model import load_mood_model

    return load_mood_model(settings.MODELS_DIR / "mood")


def _tags_and_features(audio: np.ndarray, sr: int, analysis: dict):
    """The tagger's output and the feature dict the mood model reads: the one definition of the mood model's
    inputs, for prediction and for training alike."""
    mono = audio.mean(axis=0) if audio.ndim == 2 else audio
    return tagger().tag(mono, sr), {**analysis["features"], "loudness_lufs": analysis.get("loudness_lufs")}


def understand(audio: np.ndarray, sr: int, progress: Progress | None = None, analysis: dict | None = None) -> dict:
    """Analysis (tempo, key, loudness, features) plus tags and mood, as one JSON-able dict."""
    from sonicai.music.analysis.pipeline import analyze_signal

    if analysis is None:
        analysis = analyze_signal(audio, sr, progress=within(progress, 0.0, 0.6))
    report(progress, 0.6, "tagging")
    tagged, features = _tags_and_features(audio, sr, analysis)
    report(progress, 0.9, "mood")
    mood = mood_model().predict(tagged.tags, tagged.embedding, features, analysis["tempo_bpm"], analysis["mode"])
    return {
        **analysis,
        "tags": {k: round(float(v), 4) for k, v in tagged.tags.items()},
        "mood": {
            "primary": mood.primary,
            "confidence": float(mood.confidence),
            "uncertain": bool(mood.uncertain),
            "scores": {k: float(v) for k, v in mood.scores.items()},
            "valence": float(mood.valence),
            "arousal": float(mood.arousal),
            "model_version": mood.model_version,
        },
    }


def classify_audio_file(ctx, af):
    """The mood job: full understanding of one stored file, saved as a MoodClassification."""
    from audio import services as audio_services

    from .models import MoodClassification

    audio, sr = audio_services.load(af)
    ctx.progress(0.05, "analysing")
    analysis = af.analysis or None
    result = understand(audio, sr, progress=ctx.scaled(0.05, 0.95), analysis=analysis)
    if not af.analysis:
        af.analysis = {k: v for k, v in result.items() if k not in ("tags", "mood")}
        type(af).objects.filter(pk=af.pk).update(analysis=af.analysis)
    mood = result["mood"]
    row = MoodClassification.objects.create(
        audio_file=af, job=ctx.job, primary_mood=mood["primary"], confidence=mood["confidence"],
        mood_scores=mood["scores"], valence=mood["valence"], arousal=mood["arousal"], tags=result["tags"],
        audio_features={**result["features"], "tempo_bpm": result["tempo_bpm"], "key": result["key"],
                        "mode": result["mode"], "loudness": result.get("loudness")},
        model_version=mood["model_version"], is_uncertain=mood["uncertain"],
    )
    return {"mood_classification_id": str(row.id), "primary_mood": row.primary_mood,
            "confidence": row.confidence, "valence": row.valence, "arousal": row.arousal}


def mood_training_set(root, progress: Progress | None = None) -> tuple[np.ndarray, list[str], list[str]]:
    """Rows of ``mood_feature_vector`` and labels from labelled audio. ``root`` is one of:

    * folder-per-mood audio (``root/<mood>/<file>``; the 4Q data set's ``Q1..Q4`` folders count as moods);
    * a CSV of labels (``file,label`` or ``file,valence,arousal``), or a folder holding one as ``labels.csv``;
    * an Emotify copy (``data.csv`` + ``emotifymusic/<genre>/<n>.mp3``).

    Returns (X, labels, skipped): unreadable files are reported in ``skipped`` rather than aborting a
    long feature-extraction run over a large collection."""
    from pathlib import Path

    from sonicai.music.analysis.pipeline import analyze_signal
    from sonicai.music.audio_io import AudioDecodeError, load_audio
    from sonicai.music.tagging.mood.features import mood_feature_vector
    from sonicai.music.tagging.mood.head import normalize_label
    from sonicai.music.tagging.mood.labels import emotify_labels, read_label_csv

    suffixes = {f".{fmt}" for fmt in settings.ALLOWED_AUDIO_FORMATS}  # what the studio accepts as uploads
    root = Path(root)
    if root.is_file() and root.suffix.lower() == ".csv":
        rows = read_label_csv(root)
    elif (root / "labels.csv").is_file():
        rows = read_label_csv(root / "labels.csv")
    elif (root / "data.csv").is_file() and (root / "emotifymusic").is_dir():
        rows = emotify_labels(root)
    elif root.is_dir():
        rows = None
    else:
        raise FileNotFoundError(f"{root}: no such directory")
    if rows is not None:
        # Unknown labels fail before any audio is decoded; rows without a product mood are not trained on.
        items = [(r.path, normalize_label(r.mood)) for r in rows if r.mood]
        missing = [str(p) for p, _ in items if not p.is_file()]
        if missing:
            raise ValueError(f"{len(missing)} labelled files not found, e.g. {missing[0]}")
    else:
        items = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            label = normalize_label(folder.name)  # unknown folder names fail before any audio is decoded
            items += [(f, label) for f in sorted(folder.rglob("*")) if f.suffix.lower() in suffixes]
    if not items:
        raise ValueError(f"{root}: no audio found; expected one folder per mood, e.g. {root}/calm/song.wav, "
                         "or a labels.csv")
    rows, labels, skipped = [], [], []
    for i, (path, label) in enumerate(items):
        report(progress, i / len(items), f"[{i + 1}/{len(items)}] {path}")
        try:
            audio, sr = load_audio(path)
        except AudioDecodeError as exc:
            skipped.append(f"{path}: {exc}")
            continue
        analysis = analyze_signal(audio, sr)
        tagged, features = _tags_and_features(audio, sr, analysis)
        rows.append(mood_feature_vector(tagged.tags, tagged.embedding, features, analysis["tempo_bpm"],
                                        analysis["mode"]))
        labels.append(label)
    return np.stack(rows) if rows else np.zeros((0, 0), np.float32), labels, skipped
