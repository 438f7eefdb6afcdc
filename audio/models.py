import uuid

from django.conf import settings
from django.db import models


class AudioFile(models.Model):
    """An audio object in storage: an upload, or a result (remix, generation) saved as audio."""

    class Source(models.TextChoices):
        UPLOAD = "upload"
        REMIX = "remix"
        GENERATED = "generated"
        STEM_MIX = "stem_mix"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audio_files")
    original_name = models.CharField(max_length=255)
    s3_key = models.CharField(max_length=1000, help_text="Storage name of the audio object")
    s3_bucket = models.CharField(max_length=255, help_text="Bucket, or 'local' for disk storage")
    file_size = models.BigIntegerField()
    duration = models.FloatField(null=True, blank=True)
    format = models.CharField(max_length=20, blank=True)
    sample_rate = models.IntegerField(null=True, blank=True)
    channels = models.IntegerField(null=True, blank=True)
    bit_depth = models.IntegerField(null=True, blank=True)
    waveform_data = models.JSONField(null=True, blank=True)
    spectrogram_key = models.CharField(max_length=1000, blank=True)
    analysis = models.JSONField(null=True, blank=True, help_text="Tempo, key, loudness and features")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.UPLOAD)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "audio_files"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user"], name="idx_audio_files_user_id")]

    def __str__(self) -> str:
        return self.original_name


class ProcessingJob(models.Model):
    """One unit of background work. Created by a request, advanced only by a worker."""

    class Type(models.TextChoices):
        ANALYSIS = "analysis"
        STEM_SEPARATION = "stem_separation"
        MOOD_CLASSIFY = "mood_classify"
        REMIX = "remix"
        GENERATE = "generate"
        PITCH = "pitch"
        TEMPO = "tempo"
        EFFECTS = "effects"
        STEM_MIX = "stem_mix"
        TRANSCRIPTION = "transcription"
        MODEL_INSTALL = "model_install"

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (Status.PENDING, Status.PROCESSING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    audio_file = models.ForeignKey(AudioFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    # The seed schema calls this celery_task_id; it holds the Dramatiq message id.
    task_id = models.CharField(max_length=255, blank=True, db_column="celery_task_id")
    job_type = models.CharField(max_length=50, choices=Type.choices)
    queue = models.CharField(max_length=50, default="default")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.SmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    input_params = models.JSONField(default=dict, blank=True)
    result_s3_keys = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True, help_text="Summary of the result")
    error_message = models.TextField(blank=True)
    attempts = models.SmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=300, blank=True, help_text="host:pid of the process running the job")
    stored = models.JSONField(default=dict, blank=True, help_text=(
        "What the running job has stored so far ({\"keys\": [...], \"rows\": [[model, pk], ...]}), so the "
        "studio can remove it when the job's worker dies before it could clean up"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "processing_jobs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], name="idx_processing_jobs_user_id"),
            models.Index(fields=["status"], name="idx_processing_jobs_status"),
            models.Index(fields=["task_id"], name="idx_processing_jobs_celery"),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} {self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def song_deleted(self) -> bool:
        """The job worked on a song of the library that has since been deleted, and what it made from it with it
        (a generation makes a song and a model install has none)."""
        return self.audio_file_id is None and self.job_type not in (self.Type.GENERATE, self.Type.MODEL_INSTALL)
