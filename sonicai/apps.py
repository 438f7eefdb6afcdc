from django.apps import AppConfig


class SonicaiConfig(AppConfig):
    name = "sonicai"
    verbose_name = "SonicAI platform"
