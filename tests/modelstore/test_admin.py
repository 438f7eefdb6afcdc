"""The operators' Models page in the Django admin: the catalogue, the licence tick, an install run as a job."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from audio.models import ProcessingJob
from sonicai.music.models import catalogue, download

from .mirror import Mirror, tarball

PAGE = "/admin/modelstore/modelinstall/"
INSTALL = PAGE + "install/"
REMOVE = PAGE + "remove/"


@pytest.fixture
def models(tmp_path, settings, monkeypatch):
    monkeypatch.setattr(download, "BACKOFF", 0.0)
    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_STAGING_DIR = tmp_path / "staging"
    with Mirror() as mirror:
        settings.MODELS_MIRROR = mirror.url
        yield settings.MODELS_DIR, mirror


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.django_db
def test_the_page_lists_every_model_with_its_licence_and_state(admin_client, models):
    html = admin_client.get(PAGE).content.decode()
    for entry in catalogue.MODELS:
        assert f'data-model="{entry.name}"' in html and entry.licence.url.replace("&", "&amp;") in html
    assert "hash not pinned" in html and "SHA-256 pinned" in html and "not free for every use" in html
    assert 'name="accept_licence"' in html and 'name="allow_unpinned"' in html
    index = admin_client.get("/admin/").content.decode()
    assert PAGE in index and "Model store" in index


@pytest.mark.django_db
def test_staff_without_superuser_rights_cannot_install(client, django_user_model, models):
    staff = django_user_model.objects.create_user("staff", "staff@example.com", "pw-12345678", is_staff=True)
    client.force_login(staff)
    assert client.get(PAGE).status_code == 403
    assert client.post(INSTALL, {"name": "spleeter-4stems"}).status_code == 403
    assert not ProcessingJob.objects.exists()


@pytest.mark.django_db
def test_a_licence_not_free_for_every_use_needs_the_tick(admin_client, models):
    res = admin_client.post(INSTALL, {"name": "htdemucs_ft"}, follow=True)
    assert any("not free for every use" in m and "--accept-licence" in m for m in messages_of(res))
    res = admin_client.post(INSTALL, {"name": "musicgen-small", "accept_licence": "on"}, follow=True)
    assert any("hash not pinned" in m for m in messages_of(res))
    res = admin_client.post(INSTALL, {"name": "nope"}, follow=True)
    assert any("Unknown model" in m for m in messages_of(res))
    assert not ProcessingJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_install_runs_as_a_job_with_progress_and_shows_installed(admin_client, admin_user, models, run_jobs,
                                                                monkeypatch):
    models_dir, mirror = models
    body = tarball({"model.index": b"index" * 100, "model.data-00000-of-00001": b"\0" * 200_000})
    entry = catalogue.get("spleeter-5stems")
    monkeypatch.setitem(catalogue.BY_NAME, entry.name, dataclasses.replace(entry, files=(
        dataclasses.replace(entry.files[0], sha256=hashlib.sha256(body).hexdigest()),)))
    mirror.put(entry.files[0].url, body)
    res = admin_client.post(INSTALL, {"name": "spleeter-5stems"}, follow=True)
    assert any("Installing spleeter-5stems" in m for m in messages_of(res))
    job = ProcessingJob.objects.get(job_type=ProcessingJob.Type.MODEL_INSTALL)
    assert job.user == admin_user and job.queue == "ai_heavy" and job.input_params["name"] == "spleeter-5stems"
    assert "installing…" in admin_client.get(PAGE).content.decode()  # no second install button meanwhile
    run_jobs()
    job.refresh_from_db()
    assert job.status == "completed", job.error_message
    assert job.progress == 100 and job.result["state"] == "installed"
    assert (models_dir / "spleeter" / "5stems" / "model.index").is_file()
    html = admin_client.get(PAGE).content.decode()
    row = html.split('data-model="spleeter-5stems"')[1].split("</tr>")[0]
    assert "state-installed" in row and REMOVE in row

    res = admin_client.post(REMOVE, {"name": "spleeter-5stems"}, follow=True)
    assert any("Removed spleeter-5stems" in m for m in messages_of(res))
    assert not (models_dir / "spleeter").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_install_job_says_why_and_installs_nothing(admin_client, models, run_jobs):
    models_dir, mirror = models
    mirror.put(catalogue.get("spleeter-4stems").files[0].url, tarball({"model.index": b"not Deezer's"}))
    admin_client.post(INSTALL, {"name": "spleeter-4stems"})
    run_jobs()
    job = ProcessingJob.objects.get(job_type=ProcessingJob.Type.MODEL_INSTALL)
    assert job.status == "failed" and "does not match the pinned" in job.error_message
    assert not models_dir.exists() or not any(models_dir.rglob("*"))
    assert job.error_message in admin_client.get(PAGE).content.decode()
