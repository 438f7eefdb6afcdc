from django.apps import AppConfig


class RemixConfig(AppConfig):
    name = "remix"
    default_auto_field = "django.db.models.BigAutoField"
