"""The remix studio page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audio.models import AudioFile
from sonicai.api import get_owned

from .models import Remix


@login_required
def studio(request, pk):
    from sonicai.music.remix.genres import GENRES
    from sonicai.music.remix.pipeline import genre_engines
    from sonicai.music.transform.effects import PRESETS

    af = get_owned(AudioFile.objects.all(), request.user, pk)
    remixes = Remix.objects.filter(original_file=af, user=request.user).select_related("result_file", "job")[:20]
    return render(request, "remix/studio.html", {
        "af": af, "genres": GENRES, "presets": sorted(PRESETS), "remixes": remixes,
        "source_bpm": (af.analysis or {}).get("tempo_bpm"), "key": (af.analysis or {}).get("key"),
        "mode": (af.analysis or {}).get("mode"), "genre_engines": genre_engines(settings.MODELS_DIR),
    })
