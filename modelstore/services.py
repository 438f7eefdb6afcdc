"""The model manager for the studio: the catalogue with what is installed here, and the install job."""

from __future__ import annotations

from django.conf import settings

from audio.jobs import JobError
from sonicai.music.models import catalogue as cat
from sonicai.music.models import store
from sonicai.music.models.catalogue import UnknownModel
from sonicai.music.models.download import DownloadError


def catalogue() -> list[dict]:
    """Every model with its state in SONICAI_MODELS_DIR (``models list --json`` rows)."""
    return store.list_models(settings.MODELS_DIR)


def install_options() -> dict:
    return {"mirror": settings.MODELS_MIRROR or None, "hf_token": settings.HF_TOKEN or None}


def check_install(name: str, accept_licence: bool, allow_unpinned: bool) -> None:
    """Refuse before a job is queued: unknown name, licence not accepted, hash not pinned (ValueError)."""
    try:
        store.check_allowed(cat.get(name), accept_licence, allow_unpinned)
    except UnknownModel as exc:
        raise ValueError(str(exc)) from None


def install_for_job(ctx) -> dict:
    """The ``model_install`` job: download, verify and install one model, reporting progress."""
    p = ctx.params
    try:
        manifest = store.install(
            p["name"], settings.MODELS_DIR, settings.MODELS_STAGING_DIR, accept_licence=bool(p.get("accept_licence")),
            allow_unpinned=bool(p.get("allow_unpinned")), accepted_by=p.get("accepted_by", ""),
            progress=ctx.progress, **install_options())
    except (UnknownModel, store.InstallRefused, DownloadError) as exc:
        raise JobError(str(exc)) from None
    return {"model": p["name"], "files": sorted(manifest.get("files", {})),
            "state": store.status(cat.get(p["name"]), settings.MODELS_DIR).state}


def remove(name: str) -> list[str]:
    """Delete an installed model (ValueError with a sentence when it cannot be)."""
    try:
        return store.remove(name, settings.MODELS_DIR)
    except (UnknownModel, store.InstallRefused) as exc:
        raise ValueError(str(exc)) from None
