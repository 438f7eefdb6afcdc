"""Health, API documentation, admin and production settings."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_health_checks_database_and_broker(client):
    res = client.get("/health")
    assert res.status_code == 200
    assert res.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_reports_a_dead_broker(client, monkeypatch):
    from sonicai import health

    def broken():
        raise ConnectionError("no redis")

    monkeypatch.setattr(health, "_check_broker", broken)
    res = client.get("/health")
    assert res.status_code == 503 and res.json()["broker"].startswith("error")


def test_openapi_schema_lists_the_contract_paths(client):
    res = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert res.status_code == 200
    schema = res.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout",
                 "/api/v1/auth/me", "/api/v1/audio/upload", "/api/v1/audio", "/api/v1/audio/{id}",
                 "/api/v1/audio/{id}/download", "/api/v1/audio/{id}/waveform", "/api/v1/audio/{id}/spectrogram",
                 "/api/v1/audio/{id}/features", "/api/v1/jobs", "/api/v1/jobs/{id}"):
        assert path in paths, path


def test_docs_pages_use_local_assets(client):
    for url in ("/docs", "/redoc"):
        res = client.get(url)
        assert res.status_code == 200
        html = res.content.decode()
        assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_admin_lists_every_model(admin_client):
    for path in ("accounts/user", "audio/audiofile", "audio/processingjob", "stems/stem",
                 "mood/moodclassification", "remix/remix", "generation/generatedtrack"):
        assert admin_client.get(f"/admin/{path}/").status_code == 200, path


def test_admin_cancel_action(admin_client, user):
    from audio.models import ProcessingJob

    job = ProcessingJob.objects.create(user=user, job_type="analysis")
    res = admin_client.post("/admin/audio/processingjob/", {"action": "cancel_jobs", "_selected_action": [job.pk]})
    assert res.status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_production_settings_pass_check_deploy(tmp_path):
    env = dict(os.environ, DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 64 + "production-secret-key-for-check",
               DJANGO_ALLOWED_HOSTS="studio.example.com", DJANGO_SETTINGS_MODULE="sonicai.settings")
    env.pop("TEST_DATABASE_URL", None)
    res = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = dict(os.environ, DJANGO_DEBUG="false", DJANGO_SECRET_KEY="", DJANGO_SETTINGS_MODULE="sonicai.settings")
    res = subprocess.run([sys.executable, "manage.py", "check"], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode != 0 and "DJANGO_SECRET_KEY" in res.stderr


def test_embedded_default_migrates_on_a_fresh_checkout(tmp_path):
    """`make run` migrates before anything else has made var/: the SQLite file's folder must appear."""
    var = tmp_path / "not-yet" / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="sonicai.settings", SONICAI_VAR_DIR=str(var))
    res = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert (var / "sonicai.sqlite3").stat().st_size > 0
