"""Stored objects follow their rows out, whichever way the rows go.

The studio's own delete (``services.delete_audio``) removes a song's objects itself; a song deleted from the
admin, or every song of an account deleted there, went by Django's cascade and left the audio, stems, mixes and
MIDI on the storage for good, still served by the signed links handed out before (band probe: 22.5 MB of a
deleted account). These receivers remove them once the deletion commits (never for a deletion rolled back).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from . import storage
from .models import AudioFile, ProcessingJob
from .services import derived_keys


def _delete_on_commit(keys: list[str]) -> None:
    keys = sorted({k for k in keys if k})
    if keys:
        transaction.on_commit(lambda: [storage.delete_quietly(k) for k in keys])


@receiver(pre_delete, sender=AudioFile, dispatch_uid="audio.stored-with-song")
def _song_deleted(sender, instance: AudioFile, **kwargs) -> None:
    _delete_on_commit([instance.s3_key, *derived_keys(instance)])


@receiver(pre_delete, sender=ProcessingJob, dispatch_uid="audio.stored-with-job")
def _job_deleted(sender, instance: ProcessingJob, **kwargs) -> None:
    # A generation's track is a song of the library in its own right: it goes with its own row, not the job's.
    keys = instance.result_s3_keys
    keys = list(keys.values()) if isinstance(keys, dict) else list(keys or [])
    keys = [k for k in keys if isinstance(k, str)]
    kept = set(AudioFile.objects.filter(s3_key__in=keys).values_list("s3_key", flat=True))
    _delete_on_commit([k for k in keys if k not in kept])
