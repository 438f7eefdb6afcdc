"""Studio pages for the audio library, file page and jobs."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from sonicai.api import get_owned

from . import services, storage
from .http import serve_stored
from .jobs import job_payload
from .models import AudioFile, ProcessingJob


def home(request):
    return redirect("audio:library" if request.user.is_authenticated else "accounts:login")


@login_required
def library(request):
    qs = AudioFile.objects.filter(user=request.user).order_by("-created_at")
    page = Paginator(qs, 12).get_page(request.GET.get("page"))
    context = {"page": page, "max_upload_mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024),
               "formats": settings.ALLOWED_AUDIO_FORMATS}
    template = "audio/_library_items.html" if request.htmx else "audio/library.html"
    return render(request, template, context)


@login_required
def file_page(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    jobs = af.jobs.order_by("-created_at")[:20]
    active = [j for j in jobs if j.is_active]
    return render(request, "audio/file.html", {
        "af": af,
        "jobs": jobs,
        "active_jobs": [job_payload(j) for j in active],
        "analysis": af.analysis,
        "mood": af.moods.order_by("-created_at").first(),
    })


@login_required
@require_GET
def stream(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    if not storage.exists(af.s3_key):
        raise Http404("The audio of this file is no longer stored.")
    if settings.S3_BUCKET_NAME:
        return redirect(storage.download_url(request, af.s3_key, af.original_name))
    return serve_stored(request, af.s3_key, af.original_name)


@login_required
@require_POST
def delete_file(request, pk):
    services.delete_audio(get_owned(AudioFile.objects.all(), request.user, pk))
    return redirect("audio:library")


@require_GET
def signed_download(request, token):
    """Time-limited download links for local storage (S3 uses presigned URLs)."""
    try:
        key, filename = storage.read_download_token(token)
    except signing.BadSignature:  # includes SignatureExpired
        raise Http404("This download link is invalid or has expired.") from None
    if not storage.exists(key):
        raise Http404("This file no longer exists.")
    return serve_stored(request, key, filename, attachment=True)


@login_required
def jobs_page(request):
    qs = ProcessingJob.objects.filter(user=request.user).select_related("audio_file").order_by("-created_at")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "audio/jobs.html", {"page": page})
