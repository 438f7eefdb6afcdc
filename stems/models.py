import uuid

from django.db import models

from audio.models import AudioFile, ProcessingJob
from sonicai.music.separation.stems import STEM_NAMES


class Stem(models.Model):
    Type = models.TextChoices("Type", [(name.upper(), name) for name in STEM_NAMES])

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.ForeignKey(ProcessingJob, on_delete=models.CASCADE, related_name="stems")
    audio_file = models.ForeignKey(AudioFile, on_delete=models.CASCADE, related_name="stems")
    stem_type = models.CharField(max_length=20, choices=Type.choices)
    s3_key = models.CharField(max_length=1000)
    duration = models.FloatField(null=True, blank=True)
    model_used = models.CharField(max_length=50)
    waveform_data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "stems"
        ordering = ["created_at"]
        indexes = [models.Index(fields=["job"], name="idx_stems_job_id")]

    def __str__(self) -> str:
        return f"{self.stem_type} of {self.audio_file_id}"
