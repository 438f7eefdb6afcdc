"""The remix studio page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audio import describe
from audio.engine_notes import for_user, is_operator
from audio.models import AudioFile, ProcessingJob
from audio.views import annotate_jobs
from sonicai.api import get_owned

from .models import Remix

PREVIEW_SECONDS = 12.0
REMIX_JOB_TYPES = (ProcessingJob.Type.REMIX, ProcessingJob.Type.TEMPO, ProcessingJob.Type.PITCH,
                   ProcessingJob.Type.EFFECTS)


def genre_tempos(source_bpm: float | None) -> dict:
    """Per genre: the tempo a remix of this song will have when no tempo is chosen, and how much longer (>1) or
    shorter the result is than the part of the song it is made from, so the page can say both."""
    from sonicai.music.compose.styles import STYLES
    from sonicai.music.remix.genre import choose_tempo
    from sonicai.music.remix.genres import GENRES

    out = {}
    for genre in GENRES:
        row = {"label": describe.genre_label(genre), "bpm": None, "length_factor": 1.0}
        if source_bpm and genre in STYLES:
            bpm, per_beat = choose_tempo(source_bpm, tuple(STYLES[genre].tempo_range))
            row.update(bpm=round(bpm, 1), per_beat=per_beat, range=list(STYLES[genre].tempo_range),
                       length_factor=source_bpm * per_beat / bpm)
        out[genre] = row
    return out


def alignment(remix: Remix) -> dict:
    """How a time in the song maps to the same musical moment in the remix, and both loudnesses, for the A/B
    comparison: B time = map(A time - start) / speed, through the beat map when the genre remix made one."""
    params, result = remix.job.input_params or {}, remix.job.result or {}
    speed = result.get("tempo_ratio")
    if not speed and result.get("tempo_bpm") and result.get("source_bpm"):
        speed = result["tempo_bpm"] / (result["source_bpm"] * (result.get("beats_per_source_beat") or 1.0))
    loud = (remix.result_file.analysis or {}).get("loudness_lufs") if remix.result_file else None
    pending = None
    if remix.result_file and loud is None:  # its analysis is still running: the page waits for it
        job = remix.result_file.jobs.filter(job_type="analysis").order_by("-created_at").first()
        pending = str(job.id) if job and job.is_active else None
    return {"start": params.get("start") or 0.0, "end": params.get("end"), "speed": speed or 1.0,
            "map": result.get("vocal_map"), "lufs": loud, "analysis_job": pending,
            "name": remix.result_file.original_name if remix.result_file else ""}


#: The newest remixes listed on a song's remix page; the library lists every version under the song.
REMIXES_SHOWN = 20


@login_required
def studio(request, pk):
    from sonicai.music.remix.pipeline import genre_engines
    from sonicai.music.transform.effects import EFFECT_SPECS, PRESETS
    from sonicai.music.transform.stretch import target_bpm_range

    af = get_owned(AudioFile.objects.all(), request.user, pk)
    all_remixes = Remix.objects.filter(original_file=af, user=request.user)
    remixes = list(all_remixes.select_related("result_file", "job")[:REMIXES_SHOWN])
    older = all_remixes.count() - len(remixes) if len(remixes) == REMIXES_SHOWN else 0
    for r in remixes:
        r.summary = describe.job_summary(r.job)
        r.align = alignment(r)
    analysis = af.analysis or {}
    source_bpm = analysis.get("tempo_bpm")
    # The tempo slider spans what a render accepts: the API's BPM range within the stretch ratios Rubber Band is
    # given (it stopped at 40-240 BPM whatever the song, where the API takes 20-300).
    bpm_range = target_bpm_range(source_bpm)
    # A reload while a remix renders shows it still running (and the page moves on when it is done).
    running = af.jobs.filter(job_type__in=REMIX_JOB_TYPES, status__in=ProcessingJob.ACTIVE).order_by("-created_at")
    return render(request, "remix/studio.html", {
        "jobs": annotate_jobs(running[:10]),
        "af": af, "genres": genre_tempos(source_bpm), "presets": PRESETS, "effect_specs": EFFECT_SPECS,
        "remixes": remixes, "older_remixes": older, "source_bpm": source_bpm, "analysed": bool(analysis),
        "bpm_min": bpm_range[0], "bpm_max": bpm_range[1],
        "key_name": describe.analysis_key(analysis),
        "source_lufs": analysis.get("loudness_lufs"), "preview_seconds": PREVIEW_SECONDS,
        "alignments": {str(r.result_file_id): r.align for r in remixes if r.result_file_id},
        "genre_engines": for_user(request.user, genre_engines(settings.MODELS_DIR)),
        "operator": is_operator(request.user),
    })
