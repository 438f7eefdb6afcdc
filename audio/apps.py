import mimetypes

from django.apps import AppConfig

#: Types of what the studio stores, where the machine's own table (/etc/mime.types) says otherwise or nothing:
#: Debian's calls a .mid "audio/sp-midi" (a phone-ringtone format), so downloads and S3 objects are typed here.
CONTENT_TYPES = {".mid": "audio/midi", ".wav": "audio/wav", ".musicxml": "application/vnd.recordare.musicxml+xml"}


class AudioConfig(AppConfig):
    name = "audio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)

        for ext, content_type in CONTENT_TYPES.items():
            mimetypes.add_type(content_type, ext)
