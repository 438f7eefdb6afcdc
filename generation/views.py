"""The text-to-music studio page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import services
from .models import GeneratedTrack

GENRE_CHIPS = ["lofi", "edm", "jazz", "hiphop", "rock", "classical", "pop", "ambient", "funk", "cinematic"]
MOOD_CHIPS = ["happy", "sad", "calm", "energetic", "dark", "romantic", "dreamy"]
INSTRUMENT_CHIPS = ["piano", "rhodes", "guitar", "strings", "synth", "bass", "drums", "saxophone", "pads"]


@login_required
def studio(request):
    tracks = GeneratedTrack.objects.filter(user=request.user).select_related("result_file", "job")[:30]
    return render(request, "generation/studio.html", {
        "models": services.list_models(), "default_model": services.DEFAULT_MODEL, "tracks": tracks,
        "genres": GENRE_CHIPS, "moods": MOOD_CHIPS, "instruments": INSTRUMENT_CHIPS,
    })
