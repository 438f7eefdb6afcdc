from django.apps import AppConfig


class ModelstoreConfig(AppConfig):
    name = "modelstore"
    verbose_name = "Model store"
    default_auto_field = "django.db.models.BigAutoField"
