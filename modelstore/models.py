"""The install jobs of the model manager, as the admin shows them. The catalogue itself is not in the database:
it is ``sonicai.music.models.catalogue`` (one list, in code), and what is installed is on disk."""

from audio.models import ProcessingJob


class ModelInstall(ProcessingJob):
    """A ``model_install`` job; the admin's "Models" page lists the catalogue and these jobs."""

    class Meta:
        proxy = True
        verbose_name = "model"
        verbose_name_plural = "models"
