import uuid

from django.conf import settings
from django.db import models

from audio.models import AudioFile, ProcessingJob


class GeneratedTrack(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generated_tracks")
    job = models.ForeignKey(ProcessingJob, on_delete=models.CASCADE, related_name="generated_tracks")
    prompt = models.TextField()
    duration = models.FloatField()
    model_used = models.CharField(max_length=50)
    result_s3_key = models.CharField(max_length=1000, blank=True)
    result_file = models.ForeignKey(
        AudioFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="generated_from"
    )
    seed = models.BigIntegerField(null=True, blank=True)
    model_params = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "generated_tracks"
        ordering = ["-created_at"]
