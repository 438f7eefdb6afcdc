from django.contrib import admin

from .models import Stem


@admin.register(Stem)
class StemAdmin(admin.ModelAdmin):
    list_display = ("stem_type", "audio_file", "model_used", "duration", "job", "created_at")
    list_filter = ("stem_type", "model_used", "created_at")
    search_fields = ("audio_file__original_name", "audio_file__user__username", "s3_key")
    raw_id_fields = ("job", "audio_file")
