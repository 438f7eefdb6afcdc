from django.contrib import admin

from .models import Remix


@admin.register(Remix)
class RemixAdmin(admin.ModelAdmin):
    list_display = ("original_file", "genre", "tempo_change", "pitch_change", "user", "result_file", "created_at")
    list_filter = ("genre", "created_at")
    search_fields = ("original_file__original_name", "user__username", "user__email")
    raw_id_fields = ("user", "job", "original_file", "result_file")
