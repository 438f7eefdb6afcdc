import uuid

from django.db import models

from audio.models import AudioFile, ProcessingJob
from sonicai.music.tagging.moods import MOODS


class MoodClassification(models.Model):
    Mood = models.TextChoices("Mood", [(m.upper(), m) for m in MOODS])

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    audio_file = models.ForeignKey(AudioFile, on_delete=models.CASCADE, related_name="moods")
    job = models.ForeignKey(ProcessingJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="moods")
    primary_mood = models.CharField(max_length=50, choices=Mood.choices)
    confidence = models.FloatField()
    mood_scores = models.JSONField()
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    tags = models.JSONField(null=True, blank=True, help_text="Tagger probabilities (50 MSD tags)")
    audio_features = models.JSONField(null=True, blank=True)
    model_version = models.CharField(max_length=50, blank=True)
    is_uncertain = models.BooleanField(null=True, blank=True, help_text=(
        "The model's own verdict (its threshold, or a near-silent file); empty on rows stored before it was kept"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "mood_classifications"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["audio_file"], name="idx_mood_class_audio_file")]

    def __str__(self) -> str:
        return f"{self.primary_mood} ({self.confidence:.2f})"

    @property
    def uncertain(self) -> bool:
        """Whether the page should say the mood is uncertain rather than state it (docs/mood_model.md)."""
        from sonicai.music.tagging.mood.model import UNCERTAIN_BELOW

        if self.is_uncertain is not None:
            return self.is_uncertain
        return self.confidence < UNCERTAIN_BELOW
