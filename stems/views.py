"""Studio pages: separation form and the stem mixer."""


from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from audio import describe
from audio.engine_notes import for_user, is_operator
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
    done = [j for j in jobs if j.status == ProcessingJob.Status.COMPLETED]
    # ?set=<job id> opens an earlier stem set (the library links each set so); by default the newest
    latest = next((j for j in done if str(j.id) == request.GET.get("set")), done[0] if done else None)
    stems = list(latest.stems.order_by("created_at")) if latest else []
    mixer = [{"id": str(s.id), "type": s.stem_type, "peaks": (s.waveform_data or {}).get("peaks"),
              "url": f"/stems/s/{s.id}/stream"} for s in stems]
    engines = for_user(request.user, services.engines(), ok_key="available")
    region = (latest.input_params or {}) if latest else {}
    return render(request, "stems/mixer.html", {
        "af": af, "jobs": jobs[:10], "latest": latest, "engines": engines,
        "offered": [e for e in engines if e["available"]], "missing": [e for e in engines if not e["available"]],
        "default_engine": services.default_engine(), "mixer": mixer, "operator": is_operator(request.user),
        "region": describe.region_label(region), "region_start": float(region.get("start") or 0.0),
        "sets": [{"id": str(j.id), "engine": (j.result or {}).get("engine", ""),
                  "region": describe.region_label(j.input_params or {}), "created_at": j.created_at,
                  "current": j == latest} for j in done] if len(done) > 1 else [],
    })


@login_required
@require_safe
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
