"""Practice tools over a stored file: stems-to-MIDI transcription jobs, what the practice player plays, and
the lead sheet. Stems are found through the separation job's result keys (the stems app is not imported)."""

from __future__ import annotations

import json

import numpy as np

from audio import services as audio_services
from audio import storage
from audio.jobs import JobError
from audio.models import AudioFile, ProcessingJob
from sonicai.music.separation.stems import STEM_NAMES

#: What a transcription can start from: every stem of the latest separation, the whole mix, or one stem.
ALL_STEMS = "stems"
MIX = "mix"
SOURCES = (ALL_STEMS, MIX, *STEM_NAMES)
#: Result key of the combined file, and of the notes the piano roll draws.
MULTITRACK = "multitrack"
NOTES = "notes"


class NoStems(ValueError):
    """The file has not been separated, so there are no stems to transcribe."""


def latest_separation(af: AudioFile) -> ProcessingJob | None:
    """The newest completed separation of the whole file (a region's stems do not cover the song)."""
    jobs = (ProcessingJob.objects.filter(audio_file=af, job_type=ProcessingJob.Type.STEM_SEPARATION,
                                         status=ProcessingJob.Status.COMPLETED)
            .exclude(result_s3_keys=None).order_by("-completed_at"))
    return next((j for j in jobs if (j.input_params or {}).get("start") is None
                 and (j.input_params or {}).get("end") is None and isinstance(j.result_s3_keys, dict)), None)


def stem_keys(af: AudioFile) -> dict[str, str]:
    """{stem name: storage key} of the latest separation, in the studio's stem order."""
    job = latest_separation(af)
    keys = job.result_s3_keys if job else {}
    return {name: keys[name] for name in STEM_NAMES if name in keys}


def check_source(af: AudioFile, source: str) -> list[str]:
    """The stems a transcription of ``source`` reads (["mix"] for the mix); NoStems/ValueError otherwise."""
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}: use 'stems', 'mix' or a stem name ({', '.join(STEM_NAMES)}).")
    if source == MIX:
        return [MIX]
    available = stem_keys(af)
    if not available:
        raise NoStems("This file has not been split into stems yet: separate it first (Stems & mixer), "
                      "or transcribe the whole mix.")
    if source == ALL_STEMS:
        return list(available)
    if source not in available:
        raise NoStems(f"The latest separation has no {source} stem; it has {', '.join(available)}.")
    return [source]


def song_tempo(af: AudioFile, audio: np.ndarray | None = None, sr: int | None = None) -> float:
    """The analysis' tempo, or (worker side, before the analysis exists) the tempo estimated now."""
    bpm = (af.analysis or {}).get("tempo_bpm")
    if bpm:
        return float(bpm)
    if audio is None:
        audio, sr = audio_services.load(af)
    from sonicai.music.analysis.tempo import estimate_tempo

    return float(estimate_tempo(np.asarray(audio).mean(axis=0), sr).bpm)


def song_meter(af: AudioFile) -> int:
    """Beats per bar as the lead sheet reads them from the analysis' chord changes (4 until it can tell)."""
    from sonicai.music.leadsheet import infer_meter

    analysis = af.analysis or {}
    return infer_meter([float(b) for b in analysis.get("beats") or []], analysis.get("chords") or [])[0]


def notes_json(tracks: dict, tempo: float, duration: float) -> dict:
    """What the piano roll draws: per track, [start, end, pitch, velocity] rows (drums: [time, time+0.1, note,
    velocity])."""
    out = {}
    for name, events in tracks.items():
        rows = []
        for e in events:
            if hasattr(e, "pitch"):
                rows.append([round(e.start, 3), round(e.end, 3), int(e.pitch), int(round(127 * e.amplitude))])
            else:
                rows.append([round(e.time, 3), round(e.time + 0.1, 3), int(e.note), int(e.velocity)])
        out[name] = {"drums": name == "drums", "notes": sorted(rows)}
    return {"tempo_bpm": round(tempo, 2), "duration": round(duration, 3), "tracks": out}


def transcribe_audio_file(ctx, af: AudioFile) -> dict:
    """The transcription job: one .mid per stem (or the mix), a multitrack .mid and the notes as JSON, all in
    the job's result keys (downloads through /api/v1/jobs/{id}/download?name=...)."""
    from sonicai.music.audio_io import load_audio
    from sonicai.music.transcription.midi import grid_tempo, multitrack_midi, stem_midi, write_midi
    from sonicai.music.transcription.transcribe import transcribe

    source = ctx.params.get("source", ALL_STEMS)
    try:
        names = check_source(af, source)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(0.02, "loading audio")
    if names == [MIX]:
        mix, sr = audio_services.load(af)
        inputs = {MIX: mix}
    else:
        keys = stem_keys(af)
        inputs = {}
        for name in names:
            with storage.local_copy(keys[name]) as path:
                inputs[name], sr = load_audio(path)
    tempo = grid_tempo(song_tempo(af, next(iter(inputs.values())), sr))
    meter = song_meter(af)
    tracks = {}
    for i, (name, audio) in enumerate(inputs.items()):
        part = ctx.scaled(0.05 + 0.85 * i / len(inputs), 0.05 + 0.85 * (i + 1) / len(inputs))
        part(0.0, f"{name}: notes")
        # The mix is transcribed with basic-pitch's full range (as "other").
        tracks[name] = transcribe(audio, sr, "other" if name == MIX else name,
                                  progress=lambda f, stage, part=part, name=name: part(f, f"{name}: {stage}"))
    ctx.progress(0.92, "writing MIDI")
    duration = next(iter(inputs.values())).shape[-1] / sr
    keys_out: dict[str, str] = {}
    with storage.scratch_dir("midi-") as tmp:
        for name, events in tracks.items():
            path = write_midi(stem_midi(name, events, tempo=tempo, beats_per_bar=meter), tmp / f"{name}.mid")
            keys_out[name] = ctx.track(storage.save_path(storage.new_key(af.user_id, "midi", "mid"), path))
        if len(tracks) > 1:
            path = write_midi(multitrack_midi(tracks, tempo=tempo, beats_per_bar=meter),
                              tmp / "multitrack.mid")
            keys_out[MULTITRACK] = ctx.track(storage.save_path(storage.new_key(af.user_id, "midi", "mid"), path))
        notes = json.dumps(notes_json(tracks, tempo, duration), separators=(",", ":")).encode()
        keys_out[NOTES] = ctx.track(storage.save_bytes(storage.new_key(af.user_id, "midi", "json"), notes))
    ctx.record_results(keys_out)
    return {"source": source, "tracks": {name: len(events) for name, events in tracks.items()},
            "tempo_bpm": round(tempo, 2), "duration": round(duration, 3),
            "files": [k for k in keys_out if k != NOTES]}


def stored_notes(job: ProcessingJob) -> dict | None:
    """The piano roll's notes of a completed transcription job."""
    key = (job.result_s3_keys or {}).get(NOTES) if isinstance(job.result_s3_keys, dict) else None
    if job.status != ProcessingJob.Status.COMPLETED or not key or not storage.exists(key):
        return None
    from django.core.files.storage import default_storage

    with default_storage.open(key, "rb") as fh:
        return json.loads(fh.read())


def transcriptions(af: AudioFile):
    return ProcessingJob.objects.filter(audio_file=af, job_type=ProcessingJob.Type.TRANSCRIPTION).order_by(
        "-created_at")


def lead_sheet(af: AudioFile):
    from sonicai.music.leadsheet import build

    return build(af.analysis or {}, title=af.original_name.rsplit(".", 1)[0])
