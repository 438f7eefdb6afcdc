"""Studio pages: the practice player, the transcription page (piano roll) and the printable lead sheet."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from audio.describe import is_silent
from audio.http import serve_stored
from audio.models import AudioFile
from sonicai.api import get_owned

from . import services


def _owned(request, pk) -> AudioFile:
    return get_owned(AudioFile.objects.all(), request.user, pk)


def _chord_data(af: AudioFile) -> dict:
    from sonicai.music.notes import key_name, note_names

    a = af.analysis or {}
    mode = a.get("mode") or "major"
    known = bool(a.get("key")) and not is_silent(a)
    return {"ready": "chords" in a, "beats": a.get("beats", []), "chords": a.get("chords", []),
            "tempo_bpm": a.get("tempo_bpm"), "duration": a.get("duration") or af.duration,
            "key": key_name(a["key"], mode, unicode=True) if known else None, "mode": mode if known else None,
            "key_uncertain": bool(a.get("key_uncertain")),
            # Transposed chords are spelled by the server's one rule (scale degrees, sonicai.music.notes.spell)
            # for the key they land in: the page's sharp-or-flat lists wrote A♭dim for G♯dim in A minor.
            "spellings": [list(note_names(tonic, mode)) for tonic in range(12)] if known else None,
            "key_names": [key_name(tonic, mode, unicode=True) for tonic in range(12)] if known else None}


@login_required
def player(request, pk):
    af = _owned(request, pk)
    stems = [{"name": name, "url": f"/practice/{af.id}/stems/{name}"} for name in services.stem_keys(af)]
    sheet = services.lead_sheet(af) if "chords" in (af.analysis or {}) else None
    return render(request, "practice/player.html", {
        "af": af, "stems": stems, "data": {**_chord_data(af), "stems": stems, "audio_url": f"/files/{af.id}/stream",
                                           "beats_per_bar": sheet.beats_per_bar if sheet else 4},
        "sheet": sheet, "analysis_jobs": af.jobs.filter(job_type="analysis", status__in=("pending", "processing")),
    })


@login_required
@require_safe
def stem_audio(request, pk, name):
    af = _owned(request, pk)
    key = services.stem_keys(af).get(name)
    if key is None:
        raise Http404("This file has no such stem.")
    return serve_stored(request, key, f"{name}.flac")


@login_required
def transcription(request, pk):
    af = _owned(request, pk)
    jobs = list(services.transcriptions(af)[:10])
    return render(request, "practice/transcription.html", {
        "af": af, "jobs": jobs, "stems": list(services.stem_keys(af)),
        "latest": next((j for j in jobs if j.status == "completed"), None),
    })


@login_required
def sheet(request, pk):
    af = _owned(request, pk)
    ready = "chords" in (af.analysis or {})
    return render(request, "practice/sheet.html", {"af": af, "sheet": services.lead_sheet(af) if ready else None,
                                                   "key_uncertain": bool((af.analysis or {}).get("key_uncertain")),
                                                   "silent": is_silent(af.analysis)})


@login_required
@require_safe
def sheet_download(request, pk, fmt):
    from .api import lead_sheet_response

    af = _owned(request, pk)
    if fmt not in ("cho", "musicxml") or "chords" not in (af.analysis or {}):
        raise Http404("No lead sheet in that format.")
    return lead_sheet_response(af, "chordpro" if fmt == "cho" else "musicxml")
