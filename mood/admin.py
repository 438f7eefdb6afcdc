from django.contrib import admin

from .models import MoodClassification


@admin.register(MoodClassification)
class MoodClassificationAdmin(admin.ModelAdmin):
    list_display = ("audio_file", "primary_mood", "confidence", "valence", "arousal", "model_version", "created_at")
    list_filter = ("primary_mood", "model_version", "created_at")
    search_fields = ("audio_file__original_name", "audio_file__user__username")
    raw_id_fields = ("audio_file", "job")
