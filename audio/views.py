"""Studio pages for the audio library, file page and jobs."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from sonicai.api import get_owned
from sonicai.music.notes import note_names

from . import describe, services, storage
from .http import serve_stored
from .jobs import job_payload
from .models import AudioFile, ProcessingJob


def home(request):
    return redirect("audio:library" if request.user.is_authenticated else "accounts:login")


def upload_limits() -> dict:
    """What the drop zone tells before anyone uploads: formats, size and duration limits."""
    from .validation import CD_WAV_BYTES_PER_SECOND

    wav_fits = settings.MAX_UPLOAD_SIZE >= CD_WAV_BYTES_PER_SECOND * settings.MAX_AUDIO_DURATION_SECONDS
    return {"max_upload_mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024), "formats": settings.ALLOWED_AUDIO_FORMATS,
            "max_minutes": settings.MAX_AUDIO_DURATION_SECONDS / 60,
            "max_duration": settings.MAX_AUDIO_DURATION_SECONDS,
            "long_wav_too_large": "wav" in settings.ALLOWED_AUDIO_FORMATS and not wav_fits}


@login_required
def library(request):
    # Songs are the files nothing was made from; remixes, previews and exports are listed under their song.
    qs = AudioFile.objects.filter(user=request.user, parent__isnull=True).order_by("-created_at")
    page = Paginator(qs, 12).get_page(request.GET.get("page"))
    versions = versions_of(request.user, list(page.object_list))
    analysing = analysis_jobs_of([af for af in page.object_list if not af.analysis])
    recently = timezone.now() - timedelta(days=1)
    for af in page.object_list:
        af.versions = versions.get(af.id, [])
        af.analysis_job = analysing.get(af.id)
        # Open: the newest songs' versions, and any song's made in the last day (a remix of an old song sat
        # folded away at the bottom of the list).
        af.versions_open = any(v["created_at"] >= recently for v in af.versions if v.get("created_at"))
    context = {"page": page, **upload_limits()}
    template = "audio/_library_items.html" if request.htmx else "audio/library.html"
    return render(request, template, context)


def analysis_jobs_of(songs: list[AudioFile]) -> dict:
    """The latest analysis job of each song not analysed yet: the library row follows it live (it stayed
    "analysing…" until a reload) and says so when it failed."""
    jobs = (ProcessingJob.objects.filter(audio_file__in=songs, job_type=ProcessingJob.Type.ANALYSIS)
            .order_by("audio_file_id", "-created_at"))
    latest: dict = {}
    for job in jobs:
        latest.setdefault(job.audio_file_id, job)
    return latest


def made_by(af: AudioFile) -> ProcessingJob | None:
    """The job whose result this file is (a remix or a generation), if it is still there."""
    remix = af.remix_results.select_related("job").first()
    if remix is not None:
        return remix.job
    track = af.generated_from.select_related("job").first()
    return track.job if track is not None else None


def versions_of(user, songs: list[AudioFile]) -> dict:
    """song id -> what was made from it, newest first: files derived from it at any depth (remixes of remixes
    too) with the job that made each, its stem separations and its stem exports."""
    if not songs:
        return {}
    derived = list(AudioFile.objects.filter(user=user, parent__isnull=False)
                   .prefetch_related("remix_results__job").order_by("-created_at"))
    children: dict = {}
    for f in derived:
        children.setdefault(f.parent_id, []).append(f)
    stem_jobs = ProcessingJob.objects.filter(
        user=user, status=ProcessingJob.Status.COMPLETED,
        job_type__in=(ProcessingJob.Type.STEM_SEPARATION, ProcessingJob.Type.STEM_MIX),
    ).exclude(audio_file=None).order_by("-created_at")
    jobs_by_file: dict = {}
    for job in stem_jobs:
        jobs_by_file.setdefault(job.audio_file_id, []).append(job)
    out = {}
    for song in songs:
        rows: list[dict] = []
        stack = [(song, 0)]
        while stack:
            node, depth = stack.pop()
            for job in jobs_by_file.get(node.id, []):
                rows.append(_job_version(job, node, depth))
            for child in children.get(node.id, []):
                remix = next(iter(child.remix_results.all()), None)
                what = (describe.job_label(remix.job.job_type, remix.job.input_params) if remix
                        else child.get_source_display())
                rows.append({"kind": "file", "name": child.original_name, "url": reverse("audio:file", args=[child.id]),
                             "download": reverse("audio-download", args=[child.id]), "created_at": child.created_at,
                             "what": what,
                             "summary": describe.job_summary(remix.job) if remix else "", "depth": depth,
                             "from": node.original_name if depth else "", "duration": child.duration})
                stack.append((child, depth + 1))
        rows.sort(key=lambda r: r["created_at"], reverse=True)
        out[song.id] = rows
    return out


def _job_version(job: ProcessingJob, af: AudioFile, depth: int) -> dict:
    title = describe.song_title(af.original_name)
    if job.job_type == ProcessingJob.Type.STEM_SEPARATION:
        stems = ", ".join((job.result or {}).get("stems", []))
        url = reverse("stems:mixer", args=[af.id]) + f"?set={job.id}"  # this set, not only the newest
        return {"kind": "stems", "name": f"{title} — stems", "url": url,
                "download": "", "created_at": job.created_at, "what": "Stem separation",
                "summary": " · ".join(filter(None, [stems, describe.job_summary(job)])), "depth": depth,
                "from": af.original_name if depth else "", "duration": None}
    keys = job.result_s3_keys if isinstance(job.result_s3_keys, dict) else {}
    from .api import result_filename

    name = result_filename(job, "mix", keys.get("mix", "mix.wav"))
    return {"kind": "export", "name": name, "url": "", "download": reverse("job-download", args=[job.id]),
            "created_at": job.created_at, "what": "Stem export", "summary": describe.job_summary(job),
            "depth": depth, "from": af.original_name if depth else "", "duration": None}


def result_link(job: ProcessingJob) -> dict | None:
    """Where a completed job's result is: a page to open or a file to download."""
    if job.status != ProcessingJob.Status.COMPLETED:
        return None
    aid = job.audio_file_id
    result = job.result or {}
    if result.get("result_file_id"):
        return {"href": reverse("audio:file", args=[result["result_file_id"]]), "label": "Open the result"}
    if aid is None:  # its song was deleted, and what the job made from it with it
        return None
    if job.job_type == ProcessingJob.Type.STEM_MIX:
        return {"download": reverse("job-download", args=[job.id]), "label": "Download"}
    if job.job_type == ProcessingJob.Type.STEM_SEPARATION:
        return {"href": reverse("stems:mixer", args=[aid]) + f"?set={job.id}", "label": "Open the stems"}
    if job.job_type == ProcessingJob.Type.MOOD_CLASSIFY:
        return {"href": reverse("mood:dashboard", args=[aid]), "label": "See the mood"}
    if job.job_type == ProcessingJob.Type.ANALYSIS:
        return {"href": reverse("audio:file", args=[aid]) + "#analysis-card", "label": "See the analysis"}
    if job.job_type == ProcessingJob.Type.TRANSCRIPTION:
        return {"href": reverse("practice:transcription", args=[aid]), "label": "Open the transcription"}
    return None


def annotate_jobs(jobs) -> list[ProcessingJob]:
    jobs = list(jobs)
    for job in jobs:
        job.link = result_link(job)
    return jobs


@login_required
def file_page(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    jobs = annotate_jobs(af.jobs.order_by("-created_at")[:20])
    active = [j for j in jobs if j.is_active]
    origin = made_by(af) if af.parent_id or af.source != AudioFile.Source.UPLOAD else None
    parent = af.parent if af.parent_id and af.parent.user_id == request.user.id else None
    analysis = af.analysis or {}
    return render(request, "audio/file.html", {
        "af": af,
        "title": describe.song_title(af.original_name),
        "jobs": jobs,
        "active_jobs": [job_payload(j) for j in active],
        "analysis": af.analysis,
        "key_names": list(note_names(analysis.get("key") or 0, analysis.get("mode") or "major")),
        "mood": af.moods.order_by("-created_at").first(),
        "parent": parent,
        "origin": origin,
        "origin_label": describe.job_label(origin.job_type, origin.input_params) if origin else "",
        "origin_summary": describe.job_summary(origin) if origin else "",
        "versions": versions_of(request.user, [af]).get(af.id, []),
    })


@login_required
@require_safe
def stream(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    if not storage.exists(af.s3_key):
        raise Http404("The audio of this file is no longer stored.")
    if settings.S3_BUCKET_NAME:
        return redirect(storage.download_url(request, af.s3_key, af.original_name))
    return serve_stored(request, af.s3_key, af.original_name)


@login_required
@require_POST
def rename_file(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    try:
        services.audio_rename(af, request.POST.get("name", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("audio:file", pk=af.pk)


@login_required
@require_POST
def delete_file(request, pk):
    af = get_owned(AudioFile.objects.all(), request.user, pk)
    name = af.original_name
    services.delete_audio(af)
    messages.success(request, f"Deleted “{name}” and what was made from it (stems, exports, MIDI). Remixes and "
                              "versions saved as songs of their own stay in the library.")
    return redirect("audio:library")


@require_safe
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
    # Every remix, preview or export is analysed when it lands: half the rows of a busy list were those
    # automatic analyses. Finished ones are listed on request; running or failed ones always.
    automatic = qs.filter(job_type=ProcessingJob.Type.ANALYSIS, audio_file__parent__isnull=False,
                          status=ProcessingJob.Status.COMPLETED)
    newest = qs.values_list("id", flat=True).first()  # what the "new jobs have started" check compares with
    show_all = request.GET.get("all") == "1"
    hidden = 0 if show_all else automatic.count()
    if not show_all:
        qs = qs.exclude(pk__in=automatic.values("pk"))
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "audio/jobs.html", {"page": page, "jobs": annotate_jobs(page.object_list),
                                               "hidden_analyses": hidden, "show_all": show_all, "newest": newest})
