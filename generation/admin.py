from django.contrib import admin

from .models import GeneratedTrack


@admin.register(GeneratedTrack)
class GeneratedTrackAdmin(admin.ModelAdmin):
    list_display = ("prompt", "model_used", "duration", "seed", "user", "created_at")
    list_filter = ("model_used", "created_at")
    search_fields = ("prompt", "user__username", "user__email")
    raw_id_fields = ("user", "job", "result_file")
