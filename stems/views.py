"""Studio pages: separation form and the stem mixer."""


from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audio.http import serve_stored
from audio.models import AudioFile, ProcessingJob
from sonicai.api import get_owned

from . import services
from .models import Stem


@login_required
def stems_page(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    jobs = ProcessingJob.objects.filter(audio_file=af, job_type=ProcessingJob.Type.STEM_SEPARATION).order_by(
        "-created_at")
    latest = next((j for j in jobs if j.status == ProcessingJob.Status.COMPLETED), None)
    stems = list(latest.stems.order_by("created_at")) if latest else []
    mixer = [{"id": str(s.id), "type": s.stem_type, "peaks": (s.waveform_data or {}).get("peaks"),
              "url": f"/stems/s/{s.id}/stream"} for s in stems]
    return render(request, "stems/mixer.html", {
        "af": af, "jobs": jobs[:10], "latest": latest, "engines": services.engines(),
        "default_engine": services.default_engine(), "mixer": mixer,
    })


@login_required
@require_GET
def stem_stream(request, stem_id):
    stem = Stem.objects.filter(pk=stem_id, audio_file__user=request.user).first() if _is_uuid(stem_id) else None
    if stem is None:
        raise Http404
    return serve_stored(request, stem.s3_key, f"{stem.stem_type}.flac")


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False
