"""Audio library operations: accepting uploads, derived data, deletion."""

from __future__ import annotations

import logging
import os
import tempfile

import numpy as np
from django.conf import settings
from django.db import transaction

from sonicai.music.audio_io import load_audio, probe, write_audio
from sonicai.music.progress import Progress

from . import dsp, storage
from .models import AudioFile, ProcessingJob
from .validation import check_audio_file, check_size, clean_filename, uploaded_filename

log = logging.getLogger(__name__)


def accept_upload(user, uploaded) -> AudioFile:
    """Validate an uploaded file and store it. Nothing is stored if it is rejected.

    ``uploaded`` is a Django UploadedFile. Raises :class:`UploadRejected`.
    """
    size = uploaded.size or 0
    check_size(size, settings.MAX_UPLOAD_SIZE)
    fd, tmp = tempfile.mkstemp(prefix="upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        checked = check_audio_file(
            tmp,
            size,
            max_size=settings.MAX_UPLOAD_SIZE,
            max_duration=settings.MAX_AUDIO_DURATION_SECONDS,
            allowed_formats=settings.ALLOWED_AUDIO_FORMATS,
        )
        with storage.upload_slot():  # only the write: the checks above need no storage
            key = storage.save_path(storage.new_key(user.pk, "audio", checked.container), tmp)
    finally:
        os.unlink(tmp)
    info = checked.info
    try:
        return AudioFile.objects.create(
            user=user,
            original_name=uploaded_filename(getattr(uploaded, "name", "") or "audio"),
            s3_key=key,
            s3_bucket=storage.bucket_name(),
            file_size=size,
            duration=info.duration,
            format=checked.container,
            sample_rate=info.sample_rate,
            channels=info.channels,
            bit_depth=info.bit_depth,
        )
    except Exception:
        storage.delete_quietly(key)
        raise


def save_result_audio(user, audio: np.ndarray, sr: int, name: str, source: str, parent: AudioFile | None = None,
                      fmt: str = "wav", ctx=None) -> AudioFile:
    """Store engine output as a new library item that can itself be analysed, separated
    or remixed. ``ctx`` (a JobContext) deletes the object again if the job fails."""
    with storage.scratch_dir("result-") as tmpdir:
        path = write_audio(tmpdir / f"out.{fmt}", audio, sr)
        info = probe(path)
        key = storage.save_path(storage.new_key(user.pk, "audio", fmt), path)
        if ctx is not None:
            ctx.track(key)
        size = path.stat().st_size
    return AudioFile.objects.create(
        user=user,
        original_name=clean_filename(name),
        s3_key=key,
        s3_bucket=storage.bucket_name(),
        file_size=size,
        duration=info.duration,
        format=fmt,
        sample_rate=info.sample_rate,
        channels=info.channels,
        bit_depth=info.bit_depth,
        source=source,
        parent=parent,
    )


def save_job_result(ctx, audio: np.ndarray, sr: int, name: str, source: str, parent: AudioFile | None = None,
                    fmt: str = "wav", known_key: tuple[str, str] | None = None,
                    known_tempo: float | None = None) -> AudioFile:
    """A job's result as a new library file of the job's user (see JobContext): it disappears
    again if the job does not complete, and its own analysis starts once the job has (stating
    ``known_key``, (tonic, mode), and ``known_tempo`` when the job wrote the music in a key and tempo it knows)."""
    from .jobs import start_analysis

    af = ctx.track_row(save_result_audio(ctx.job.user, audio, sr, name, source=source, parent=parent, fmt=fmt,
                                         ctx=ctx))
    ctx.on_completed.append(lambda: start_analysis(ctx.job.user, af, known_key=known_key, known_tempo=known_tempo))
    return af


def load(af: AudioFile, sr: int | None = None, mono: bool = False, start: float | None = None,
         end: float | None = None) -> tuple[np.ndarray, int]:
    """Decode a stored audio file, optionally a region of it."""
    offset = start or 0.0
    duration = None if end is None else max(0.0, end - offset)
    with storage.local_copy(af.s3_key) as path:
        return load_audio(path, sr=sr, mono=mono, offset=offset, duration=duration)


def ensure_waveform(af: AudioFile) -> dict:
    if not af.waveform_data:
        audio, sr = load(af)
        af.waveform_data = dsp.waveform_peaks(audio, sr)
        AudioFile.objects.filter(pk=af.pk).update(waveform_data=af.waveform_data)
    return af.waveform_data


def stored_spectrogram(af: AudioFile) -> bytes | None:
    """PNG bytes of the spectrogram the analysis job stored, or None before it has."""
    if not af.spectrogram_key or not storage.exists(af.spectrogram_key):
        return None
    from django.core.files.storage import default_storage

    with default_storage.open(af.spectrogram_key, "rb") as fh:
        return fh.read()


def ensure_spectrogram(af: AudioFile, ctx=None) -> bytes:
    """PNG bytes of the spectrogram, computed once and kept in storage (worker side)."""
    png = stored_spectrogram(af)
    if png is not None:
        return png
    audio, sr = load(af)
    png = dsp.spectrogram_png(audio, sr)
    key = storage.save_bytes(storage.new_key(af.user_id, "derived", "png"), png)
    if ctx is not None:
        ctx.track(key)
    updated = AudioFile.objects.filter(pk=af.pk, spectrogram_key=af.spectrogram_key).update(spectrogram_key=key)
    if updated:
        storage.delete_quietly(af.spectrogram_key)
        af.spectrogram_key = key
    else:  # another process stored one first; keep theirs
        storage.delete_quietly(key)
        af.refresh_from_db()
    return png


def compute_analysis(audio: np.ndarray, sr: int, progress: Progress | None = None,
                     known_key: tuple[str, str] | None = None, known_tempo: float | None = None) -> dict:
    """Tempo, key, loudness and features of a signal (see sonicai.music.analysis)."""
    from sonicai.music.analysis.pipeline import analyze_signal

    return analyze_signal(audio, sr, progress=progress, known_key=known_key, known_tempo=known_tempo)


def ensure_analysis(af: AudioFile, progress: Progress | None = None,
                    known_key: tuple[str, str] | None = None, known_tempo: float | None = None) -> dict:
    """The stored analysis, computed when missing or when it predates the chord track (files analysed before
    chords were part of the analysis get it on their next analysis job)."""
    if not af.analysis or "chords" not in af.analysis:
        audio, sr = load(af)
        af.analysis = compute_analysis(audio, sr, progress=progress, known_key=known_key, known_tempo=known_tempo)
        # A damaged file's header can promise more than decodes (half an MP3 said 15 s and held 7.5): from now
        # on the song is as long as what can be heard, so regions past it are refused when asked for.
        decoded = round(audio.shape[-1] / sr, 3)
        if af.duration is None or abs(af.duration - decoded) > 0.5:
            af.duration = decoded
        AudioFile.objects.filter(pk=af.pk).update(analysis=af.analysis, duration=af.duration)
    return af.analysis


def audio_rename(af: AudioFile, name: str) -> AudioFile:
    """Give a song a new name. The name keeps the audio's extension when none is typed ("Sunset Groove (final)"
    becomes "Sunset Groove (final).wav"), since downloads and pages read the format from it."""
    from .validation import clean_filename, typed_title

    if not isinstance(name, str):
        raise ValueError("The new name must be text.")
    typed = typed_title(name)
    if not typed:
        raise ValueError("Give the song a name.")
    cleaned = clean_filename(typed, fallback="")
    if not cleaned:
        raise ValueError("That name has nothing a file name can hold; use letters or numbers.")
    ext = f".{af.format}" if af.format else ""
    if ext and cleaned.lower().endswith(ext.lower()):
        cleaned = cleaned[: -len(ext)]
    af.original_name = cleaned[: 255 - len(ext)].rstrip() + ext
    AudioFile.objects.filter(pk=af.pk).update(original_name=af.original_name)
    return af


def derived_keys(af: AudioFile) -> list[str]:
    """Every stored object derived from this file that belongs to it alone."""
    keys = [af.spectrogram_key]
    keys += list(af.stems.values_list("s3_key", flat=True))
    for result_keys in ProcessingJob.objects.filter(audio_file=af).values_list("result_s3_keys", flat=True):
        if isinstance(result_keys, dict):
            keys += [k for k in result_keys.values() if isinstance(k, str)]
        elif isinstance(result_keys, list):
            keys += [k for k in result_keys if isinstance(k, str)]
    return [k for k in keys if k]


def delete_audio(af: AudioFile) -> None:
    """Delete the file, its stored object and every derived object; cancel its jobs.

    Results saved as their own library items (remixes, generated tracks) stay: they
    are the user's files now, listed in the library on their own.
    """
    from .jobs import cancel_job

    for job in ProcessingJob.objects.filter(audio_file=af, status__in=ProcessingJob.ACTIVE):
        cancel_job(job)
    keys = [af.s3_key, *derived_keys(af)]
    with transaction.atomic():
        # The jobs stay in the user's list, without links to the files deleted below.
        ProcessingJob.objects.filter(audio_file=af).exclude(result_s3_keys=None).update(result_s3_keys=None)
        af.delete()
    for key in keys:
        storage.delete_quietly(key)
