from django.apps import AppConfig


class MoodConfig(AppConfig):
    name = "mood"
    default_auto_field = "django.db.models.BigAutoField"
