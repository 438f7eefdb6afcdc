from django.apps import AppConfig


class StemsConfig(AppConfig):
    name = "stems"
    default_auto_field = "django.db.models.BigAutoField"
