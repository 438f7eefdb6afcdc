"""The text-to-music studio page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audio.engine_notes import for_user, is_operator
from audio.models import ProcessingJob
from audio.views import annotate_jobs
from sonicai.music.compose.styles import STYLES
from sonicai.music.generate.registry import COMPOSER
from sonicai.music.tagging.moods import MOODS

from . import services
from .models import GeneratedTrack

#: Prompt words offered as chips: every style the composer knows, every mood, and common instruments.
INSTRUMENT_CHIPS = ["piano", "rhodes", "guitar", "strings", "synth", "bass", "drums", "saxophone", "pads"]


@login_required
def studio(request):
    tracks = GeneratedTrack.objects.filter(user=request.user).select_related("result_file", "job")[:30]
    if request.htmx:  # the gallery alone, refreshed after a generation without touching the form
        return render(request, "generation/_tracks.html", {"tracks": tracks})
    models = for_user(request.user, services.list_models())
    # Generations still running when the page was (re)loaded: listed as a just-started one is, so their
    # progress and Cancel survive a reload and the gallery refreshes when they finish.
    running = ProcessingJob.objects.filter(user=request.user, job_type=ProcessingJob.Type.GENERATE,
                                           status__in=ProcessingJob.ACTIVE).order_by("-created_at")
    return render(request, "generation/studio.html", {
        "jobs": annotate_jobs(running[:10]),
        "models": models, "default_model": services.default_model(), "tracks": tracks,
        "offered": [m for m in models if m["installed"]], "missing": [m for m in models if not m["installed"]],
        "operator": is_operator(request.user), "duration_range": services.DURATION_RANGE,
        "genres": list(STYLES), "moods": MOODS, "instruments": INSTRUMENT_CHIPS, "composer": COMPOSER,
    })
