"""Health, API documentation, admin and production settings."""

import json
import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.django_db


def test_health_checks_database_and_broker(client):
    res = client.get("/health")
    assert res.status_code == 200
    assert {k: res.json()[k] for k in ("status", "database", "broker")} == {
        "status": "ok", "database": "ok", "broker": "ok"}


def test_health_finds_the_storage_of_a_fresh_install_ready(client, settings, tmp_path, monkeypatch):
    """The media folder appears with the first upload: until then the folder it will be made in is what counts."""
    import sonicai.health

    monkeypatch.setattr(sonicai.health, "_storage_seen", None)
    settings.MEDIA_ROOT = str(tmp_path / "not-made-yet" / "media")
    res = client.get("/health?require=storage")
    assert res.status_code == 200 and res.json()["storage"] == "ok"
    assert "storage" not in res.json().get("warning", "")  # (no workers run in the tests: that warning may stand)


def test_health_refuses_a_requirement_it_does_not_know(client):
    # A monitor checking ?require=worker (a typo) had a 200 whatever the workers did.
    res = client.get("/health?require=worker")
    assert res.status_code == 400 and res.json()["detail"] == (
        "Unknown require=worker: ask for workers or storage, or both (require=workers,storage).")
    assert client.get("/health?require= storage ,").status_code == 200


@pytest.mark.services
def test_health_counts_the_live_workers_of_each_queue(client):
    """An operator can tell from /health whether jobs will run: web processes do not count as workers, a
    worker that stops or is killed stops counting, and ?require=workers fails while a queue has none."""
    import sonicai.broker as broker

    if broker.live_workers() is None:  # the in-process broker of the embedded test pass cannot tell
        assert "workers" not in client.get("/health").json()
        return
    broker.announce_worker({"default"})
    # The same call renews this process's Dramatiq heartbeat, which a worker busy on long jobs with more
    # prefetched does not renew by itself: without it, its running jobs would be handed out again.
    beat = broker.broker.client.zscore(f"{broker.broker.namespace}:__heartbeats__", broker.broker.broker_id)
    assert beat is not None and abs(beat / 1000 - time.time()) < 5
    try:
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        killed.kill()  # and not reaped yet: a zombie takes no jobs either
        for pid in (gone.pid, killed.pid):
            broker.broker.client.set(broker._presence_key(f"{broker.this_host()}:{pid}"),
                                     json.dumps(["default", "ai_heavy"]), ex=broker.PRESENCE_TTL)
        time.sleep(0.5)
        res = client.get("/health")
        assert res.status_code == 200 and res.json()["workers"] == {"default": 1, "ai_heavy": 0}
        assert "No worker is taking ai_heavy jobs" in res.json()["warning"]
        strict = client.get("/health?require=workers")
        assert strict.status_code == 503 and strict.json()["status"] == "unavailable"
        broker.announce_worker({"default", "ai_heavy"})
        both = client.get("/health?require=workers")
        assert both.status_code == 200 and both.json()["workers"] == {"default": 1, "ai_heavy": 1}
        assert "warning" not in both.json()
    finally:
        broker.withdraw_worker()
        killed.wait()
    assert client.get("/health").json()["workers"] == {"default": 0, "ai_heavy": 0}


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


def test_the_schema_says_what_the_job_endpoints_answer(client):
    # A client generated from the schema had an always-null `audio_file` and no `audio_file_id`, expected a 204
    # without a body from a cancel, and knew neither `?name=` nor the generation's duration limits.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parts, paths = schema["components"]["schemas"], schema["paths"]
    assert "audio_file_id" in parts["Job"]["properties"] and "audio_file" not in parts["Job"]["properties"]
    cancel = paths["/api/v1/jobs/{id}"]["delete"]["responses"]
    assert "204" not in cancel and cancel["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Job")
    download = paths["/api/v1/jobs/{id}/download"]["get"]
    assert "name" in {p["name"] for p in download["parameters"]}
    duration = next(s for name, s in parts.items() if name.startswith("GenerateRequest"))["properties"]["duration"]
    assert (duration["minimum"], duration["maximum"]) == (5.0, 300.0)
    assert "415" in paths["/api/v1/audio/upload"]["post"]["responses"]
    assert "409" in paths["/api/v1/stems/jobs/{id}/results"]["get"]["responses"]
    sheet = paths["/api/v1/practice/{id}/leadsheet"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/plain", "application/vnd.recordare.musicxml+xml"} <= set(sheet)


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


def test_admin_reads_jobs_but_neither_makes_nor_edits_them(admin_client, user):
    from audio.models import ProcessingJob

    done = ProcessingJob.objects.create(user=user, job_type="analysis", status="completed")
    assert admin_client.get("/admin/audio/processingjob/add/").status_code == 403  # it would never be queued
    page = admin_client.get(f"/admin/audio/processingjob/{done.pk}/change/")
    assert page.status_code == 200 and b'name="status"' not in page.content  # read, not a form to set
    # retry is for jobs that ended badly: a completed one is left alone (no second copy of its result)
    admin_client.post("/admin/audio/processingjob/", {"action": "retry_jobs", "_selected_action": [done.pk]})
    assert ProcessingJob.objects.count() == 1
    # a job whose song was deleted has nothing to run on: refused with the reason (it failed in the worker with
    # "Internal error: DoesNotExist: AudioFile matching query does not exist.")
    orphan = ProcessingJob.objects.create(user=user, job_type="pitch", status="cancelled")
    res = admin_client.post("/admin/audio/processingjob/", {"action": "retry_jobs", "_selected_action": [orphan.pk]},
                            follow=True)
    assert ProcessingJob.objects.count() == 2 and b"Its song has been deleted" in res.content


def test_production_settings_pass_check_deploy(tmp_path):
    env = dict(os.environ, DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 64 + "production-secret-key-for-check",
               DJANGO_ALLOWED_HOSTS="studio.example.com", DJANGO_SETTINGS_MODULE="sonicai.settings",
               SONICAI_HTTPS="true", TRUSTED_PROXY_COUNT="1")
    env.pop("TEST_DATABASE_URL", None)
    res = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    # Behind the proxy but not told so: every visitor would share the proxy's address and its lockout.
    res = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         capture_output=True, text=True, env={**env, "TRUSTED_PROXY_COUNT": "0"}, timeout=120)
    assert res.returncode != 0 and "sonicai.W001" in res.stdout + res.stderr


def _settings_value(var: str, expression: str, **extra) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DJANGO_", "SONICAI_"))}
    env.update(DJANGO_SETTINGS_MODULE="sonicai.settings", SONICAI_VAR_DIR=var, **extra)
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_defaults_are_safe_a_secret_key_of_its_own_and_no_debug_pages(tmp_path):
    first, second = str(tmp_path / "a"), str(tmp_path / "b")
    key = _settings_value(first, "settings.SECRET_KEY")
    assert len(key) >= 50 and "development" not in key
    assert _settings_value(first, "settings.SECRET_KEY") == key, "kept across restarts"
    assert _settings_value(second, "settings.SECRET_KEY") != key, "each installation has its own"
    assert oct((tmp_path / "a" / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert _settings_value(first, "settings.DEBUG") == "False"
    assert _settings_value(first, "settings.SESSION_COOKIE_SECURE") == "False", "plain http on localhost works"
    assert _settings_value(first, "settings.SIMPLE_JWT['SIGNING_KEY'] == settings.SECRET_KEY") == "True"


def test_secret_key_made_by_several_processes_at_once_is_one_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DJANGO_", "SONICAI_"))}
    env.update(DJANGO_SETTINGS_MODULE="sonicai.settings", SONICAI_VAR_DIR=str(tmp_path))
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(4)]
    keys = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(keys) == 1 and keys == {(tmp_path / "secret_key").read_text().strip()}


def test_pages_carry_a_content_security_policy_and_no_inline_script(client, user, upload):
    import re

    client.force_login(user)
    aid = upload("wav", seconds=1.0)["id"]
    for url in ("/library/", "/jobs/", "/generate/", f"/files/{aid}/", f"/stems/{aid}/", f"/remix/{aid}/",
                f"/mood/{aid}/", "/mood/", "/docs", "/redoc"):
        res = client.get(url)
        assert res.status_code == 200, url
        csp = res["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        html = res.content.decode()
        # json_script data blocks are not run; anything else inline would be refused by the browser
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {url}"
        links = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert "fonts.googleapis" not in html and not [x for x in links if x.startswith(("http:", "https:", "//"))]


def test_unknown_pages_get_the_studio_404_not_a_debug_page(client, user, settings):
    settings.DEBUG = False
    client.force_login(user)
    res = client.get("/no/such/page/")
    assert res.status_code == 404 and b"Nothing here" in res.content and b"URLconf" not in res.content


def test_unknown_api_paths_and_api_errors_answer_json(client, settings, rf):
    """A REST client that mistypes a path, or meets a crash, gets JSON it can parse, not the studio's HTML page."""
    from sonicai.exceptions import server_error

    settings.DEBUG = False
    res = client.get("/api/v1/no/such/thing")
    assert res.status_code == 404 and res["Content-Type"] == "application/json"
    assert "/api/v1/no/such/thing" in res.json()["detail"]
    res = server_error(rf.get("/api/v1/audio/files"))
    assert res.status_code == 500 and "internal error" in json.loads(res.content)["detail"]
    assert server_error(rf.get("/files/")).status_code == 500  # pages keep the studio's 500 page


def test_embedded_default_migrates_on_a_fresh_checkout(tmp_path):
    """`make run` migrates before anything else has made var/: the SQLite file's folder must appear."""
    var = tmp_path / "not-yet" / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="sonicai.settings", SONICAI_VAR_DIR=str(var))
    res = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert (var / "sonicai.sqlite3").stat().st_size > 0


def test_a_copy_of_env_example_behaves_like_no_env_file(tmp_path):
    import shutil

    from tests.studio import ROOT

    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    var = str(tmp_path / "var")
    expressions = ("settings.DEBUG", "settings.MEDIA_ROOT", "settings.MODELS_DIR", "settings.ALLOWED_HOSTS",
                   "settings.SIMPLE_JWT['SIGNING_KEY'] == settings.SECRET_KEY", "len(settings.SECRET_KEY) >= 50",
                   "settings.WEB_PROCESSES", "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']",
                   "settings.JOB_HEARTBEAT_SECONDS", "settings.SONICAI_HTTPS")
    for expression in expressions:
        with_copy = _settings_value(var, expression, SONICAI_ENV_FILE=str(tmp_path / ".env"))
        without = _settings_value(var, expression, SONICAI_ENV_FILE=str(tmp_path / "none"))
        assert with_copy == without, expression


def test_a_refused_request_is_logged_in_one_line_and_a_server_error_with_its_traceback():
    import logging

    from sonicai.log_filters import ClientErrorsWithoutTraceback

    def record(status):
        try:
            raise PermissionError("no")
        except PermissionError:
            rec = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: /admin/x/", None,
                                    sys.exc_info())
        rec.status_code = status
        return rec

    keep = ClientErrorsWithoutTraceback()
    forbidden, crashed = record(403), record(500)
    assert keep.filter(forbidden) and keep.filter(crashed)
    assert forbidden.exc_info is None and crashed.exc_info is not None


def test_a_form_sent_after_signing_in_elsewhere_gets_the_studios_expired_page(user, upload, settings):
    """A page left open while the musician signed out and in again in another tab posts a stale CSRF token:
    the answer is the studio's page saying what to do, not Django's bare 'CSRF verification failed'."""
    from django.test import Client

    settings.DEBUG = False
    aid = upload("wav", seconds=1.0)["id"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    res = client.post(f"/files/{aid}/rename", {"name": "New name", "csrfmiddlewaretoken": "stale" * 8})
    assert res.status_code == 403
    html = res.content.decode()
    assert "This page has expired" in html and "reload the page" in html and "DEBUG" not in html
    assert 'name="viewport"' in html  # fits a phone instead of laying out at 980 px


@pytest.mark.parametrize(("var", "value", "says"), [
    ("MAX_FILE_SIZE", "abc", "MAX_FILE_SIZE must be a whole number, not 'abc'"),
    ("MAX_FILE_SIZE", "-5", "MAX_FILE_SIZE must be 1 or more, got -5"),  # was taken: every upload then refused
    ("MAX_CONCURRENT_JOBS", "0", "MAX_CONCURRENT_JOBS must be 1 or more, got 0"),  # a worker that never ran a job
])
def test_a_setting_out_of_range_is_refused_in_one_line_that_names_it(tmp_path, var, value, says):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DJANGO_", "SONICAI_"))}
    env.update(DJANGO_SETTINGS_MODULE="sonicai.settings", SONICAI_VAR_DIR=str(tmp_path), **{var: value})
    from tests.studio import ROOT

    res = subprocess.run([sys.executable, "manage.py", "check"], capture_output=True, text=True, env=env, timeout=120,
                         cwd=ROOT)
    assert res.returncode == 1
    assert res.stderr.strip() == f"SonicAI cannot start: {says}"


@pytest.mark.django_db
def test_a_database_that_stops_answering_is_a_503_with_a_reason_not_a_500(api, user, upload, monkeypatch):
    """While PostgreSQL restarted, job status and new separations answered 500 "internal error" with a
    traceback in the log (operator probe): the database is a service like Redis and S3, and says so."""
    from django.db import OperationalError
    from django.db.models.query import QuerySet

    from sonicai.middleware import DATABASE_DOWN

    song = upload("wav", seconds=0.5)

    def away(self, *args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(QuerySet, "get", away)
    res = api.get(f"/api/v1/audio/{song['id']}")
    assert res.status_code == 503 and res.json() == {"detail": DATABASE_DOWN} and res["Retry-After"] == "5"
