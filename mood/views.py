"""Mood dashboard pages: one file, and the whole library."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audio.describe import is_silent
from audio.models import AudioFile, ProcessingJob
from sonicai.api import get_owned
from sonicai.music.notes import note_names
from sonicai.music.tagging.moods import MOODS

from .models import MoodClassification


@login_required
def dashboard(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    latest = af.moods.order_by("-created_at").first()
    jobs = af.jobs.filter(job_type=ProcessingJob.Type.MOOD_CLASSIFY, status__in=ProcessingJob.ACTIVE)
    chart = None
    analysis = af.analysis or {}
    if latest:
        feats = latest.audio_features or {}
        chart = {
            "moods": MOODS,
            "scores": [latest.mood_scores.get(m, 0) for m in MOODS],
            "valence": latest.valence, "arousal": latest.arousal,
            "mfcc": feats.get("mfcc_frames"),
            "features": {k: feats.get(k) for k in ("spectral_centroid_mean", "spectral_bandwidth_mean",
                                                   "spectral_rolloff_mean", "spectral_flatness_mean", "zcr_mean",
                                                   "rms_mean", "onset_rate") if feats.get(k) is not None},
            "chroma": feats.get("chroma_mean"),
            "pitch_names": list(note_names(analysis.get("key") or 0, analysis.get("mode") or "major")),
            "tags": sorted((latest.tags or {}).items(), key=lambda kv: -kv[1])[:12],
            # the radar's numbers in words too, for screen readers and for reading them exactly
            "ranked": sorted(((m, latest.mood_scores.get(m, 0)) for m in MOODS), key=lambda kv: -kv[1]),
        }
    # Digital silence still gets scores from the model ("energetic 0.58"): a musician is told what it is instead.
    silent = is_silent(analysis)
    return render(request, "mood/dashboard.html", {"af": af, "latest": latest, "chart": chart, "jobs": jobs,
                                                   "beats": (af.analysis or {}).get("beats"), "silent": silent})


@login_required
def library_moods(request):
    rows = (MoodClassification.objects.filter(audio_file__user=request.user).select_related("audio_file")
            .order_by("-created_at")[:200])
    points = [{"name": r.audio_file.original_name, "id": str(r.audio_file_id), "mood": r.primary_mood,
               "valence": r.valence, "arousal": r.arousal, "at": r.created_at.isoformat()} for r in rows]
    counts = {m: sum(1 for r in rows if r.primary_mood == m) for m in MOODS}
    return render(request, "mood/library.html", {"rows": rows, "points": points, "counts": counts, "moods": MOODS})
