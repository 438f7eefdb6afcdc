"""The text-to-music studio page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sonicai.music.compose.styles import STYLES
from sonicai.music.tagging.moods import MOODS

from . import services
from .models import GeneratedTrack

#: Prompt words offered as chips: every style the composer knows, every mood, and common instruments.
INSTRUMENT_CHIPS = ["piano", "rhodes", "guitar", "strings", "synth", "bass", "drums", "saxophone", "pads"]


@login_required
def studio(request):
    tracks = GeneratedTrack.objects.filter(user=request.user).select_related("result_file", "job")[:30]
    return render(request, "generation/studio.html", {
        "models": services.list_models(), "default_model": services.default_model(), "tracks": tracks,
        "genres": list(STYLES), "moods": MOODS, "instruments": INSTRUMENT_CHIPS,
    })
