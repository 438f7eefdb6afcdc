import uuid

from django.conf import settings
from django.db import models

from audio.models import AudioFile, ProcessingJob


class Remix(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="remixes")
    job = models.ForeignKey(ProcessingJob, on_delete=models.CASCADE, related_name="remixes")
    original_file = models.ForeignKey(AudioFile, on_delete=models.CASCADE, related_name="remixes")
    result_file = models.ForeignKey(
        AudioFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="remix_results"
    )
    genre = models.CharField(max_length=50, blank=True)
    tempo_change = models.FloatField(default=0, help_text="Percent, -50 to +100")
    pitch_change = models.FloatField(default=0, help_text="Semitones, -12 to +12")
    effects_applied = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "remixes"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user"], name="idx_remixes_user_id")]
