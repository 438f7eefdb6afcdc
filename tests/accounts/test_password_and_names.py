"""A new password ends every sign-in made with the old one (tokens and other browsers), a chain of refreshed
tokens does not last for ever, and usernames are one account whatever their capitals."""

import time

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

GOOD, NEW = "correct-horse-42", "a-new-melody-for-alice-7"


def login(username: str = "alice", password: str = GOOD) -> dict:
    res = APIClient().post("/api/v1/auth/login", {"username": username, "password": password}, format="json")
    assert res.status_code == 200, res.content
    return res.json()


def bearer(access: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def test_a_new_password_ends_the_old_tokens_and_the_other_browsers(client, user):
    stolen = login()  # a copy of alice's tokens somewhere else
    client.post("/accounts/login/", {"username": "alice", "password": GOOD})
    assert client.get("/library/").status_code == 200
    mine = login()
    wrong = bearer(mine["access"]).post("/api/v1/auth/password", {"old_password": "guess", "new_password": NEW},
                                        format="json")
    assert wrong.status_code == 400 and "not your current password" in wrong.json()["old_password"][0]
    res = bearer(mine["access"]).post("/api/v1/auth/password", {"old_password": GOOD, "new_password": NEW},
                                      format="json")
    assert res.status_code == 200, res.content
    fresh = res.json()
    for old in (stolen, mine):
        assert bearer(old["access"]).get("/api/v1/auth/me").status_code == 401
        refused = APIClient().post("/api/v1/auth/refresh", {"refresh": old["refresh"]}, format="json")
        assert refused.status_code == 401 and "password was changed" in refused.json()["detail"]
    assert bearer(fresh["access"]).get("/api/v1/auth/me").status_code == 200
    renewed = APIClient().post("/api/v1/auth/refresh", {"refresh": fresh["refresh"]}, format="json")
    assert renewed.status_code == 200 and bearer(renewed.json()["access"]).get("/api/v1/auth/me").status_code == 200
    assert client.get("/library/").status_code == 302  # the other browser is signed out
    login(password=NEW)


def test_the_password_page_keeps_this_browser_signed_in_and_ends_the_others(client, user):
    from django.test import Client

    other = Client()
    other.post("/accounts/login/", {"username": "alice", "password": GOOD})
    stolen = login()
    client.post("/accounts/login/", {"username": "alice", "password": GOOD})
    page = client.get("/library/")
    assert b'href="/accounts/password/"' in page.content  # reachable from every page's header
    res = client.post("/accounts/password/", {"old_password": GOOD, "new_password1": NEW, "new_password2": NEW},
                      follow=True)
    assert res.status_code == 200 and b"Password changed" in res.content
    assert client.get("/library/").status_code == 200
    assert other.get("/library/").status_code == 302
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": stolen["refresh"]}, format="json").status_code == 401


def test_a_refreshed_sign_in_ends_after_the_longest_allowed_time(user, settings):
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    from accounts.serializers import SIGNED_IN_AT, sign_in_tokens

    tokens = login()
    for _ in range(2):  # each refresh keeps the time of the sign-in
        tokens = APIClient().post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").json()
    assert RefreshToken(tokens["refresh"])[SIGNED_IN_AT] <= time.time()
    late = sign_in_tokens(user)  # a day before its chain ends, a refresh's tokens say so
    late[SIGNED_IN_AT] = int(time.time()) - (settings.SIGN_IN_MAX_DAYS - 1) * 86400
    renewed = APIClient().post("/api/v1/auth/refresh", {"refresh": str(late)}, format="json").json()
    end = late[SIGNED_IN_AT] + settings.SIGN_IN_MAX_DAYS * 86400
    assert RefreshToken(renewed["refresh"])["exp"] == end
    assert AccessToken(renewed["access"])["exp"] <= end
    old = sign_in_tokens(user)
    old[SIGNED_IN_AT] = int(time.time()) - settings.SIGN_IN_MAX_DAYS * 86400 - 60
    res = APIClient().post("/api/v1/auth/refresh", {"refresh": str(old)}, format="json")
    assert res.status_code == 401 and "Log in again" in res.json()["detail"]


def test_usernames_are_one_account_whatever_their_capitals(client, user, other_user):
    api = APIClient()
    res = api.post("/api/v1/auth/register", {"username": "Alice", "email": "a2@example.com",
                                             "password": "tuneful-melody-77"}, format="json")
    assert res.status_code == 400 and "taken" in res.json()["username"][0]
    page = client.post("/accounts/register/", {"username": "ALICE", "email": "a3@example.com",
                                               "password1": "tuneful-melody-77", "password2": "tuneful-melody-77"})
    assert page.status_code == 200 and b"already exists" in page.content  # Django's own form says so
    mallory = login("mallory", "correct-horse-43")
    renamed = bearer(mallory["access"]).patch("/api/v1/auth/me", {"username": "aLiCe"}, format="json")
    assert renamed.status_code == 400
    assert bearer(mallory["access"]).patch("/api/v1/auth/me", {"username": "Mallory"}, format="json").status_code == 200
    assert login("ALICE")["user"]["username"] == "alice"  # signs in to the one account


def test_a_sign_in_through_the_api_clears_the_failures_before_it(user, settings):
    api = APIClient()
    for round_ in range(2):
        for i in range(settings.LOGIN_FAILURE_LIMIT - 1):
            res = api.post("/api/v1/auth/login", {"username": "alice", "password": f"typo-{round_}-{i}"}, format="json")
            assert res.status_code == 400
        assert api.post("/api/v1/auth/login", {"username": "alice", "password": GOOD}, format="json").status_code == 200


def test_the_admin_sign_in_says_the_account_is_locked(client, admin_user, settings):
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "admin", "password": f"guess-{i}"})
    res = client.post("/admin/login/", {"username": "admin", "password": "password"})
    assert b"Too many failed sign-ins" in res.content


def test_an_operator_can_close_sign_up(client, settings, django_user_model):
    settings.REGISTRATION = "closed"
    res = APIClient().post("/api/v1/auth/register", {"username": "eve", "email": "eve@example.com",
                                                     "password": "tuneful-melody-77"}, format="json")
    assert res.status_code == 403 and "ask its operator" in res.json()["detail"]
    page = client.post("/accounts/register/", {"username": "eve", "email": "eve@example.com",
                                               "password1": "tuneful-melody-77", "password2": "tuneful-melody-77"})
    assert page.status_code == 403 and b"ask its operator" in page.content
    assert b"Create an account" not in client.get("/accounts/login/").content
    assert not django_user_model.objects.filter(username="eve").exists()


def test_guessing_the_current_password_counts_as_failed_sign_ins(user, settings):
    """A stolen access token cannot be used to guess the password at leisure: wrong current passwords lock
    the account as failed sign-ins do."""
    api = bearer(login()["access"])
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        res = api.post("/api/v1/auth/password", {"old_password": f"guess-{i}", "new_password": NEW}, format="json")
        assert res.status_code == 400
    res = api.post("/api/v1/auth/password", {"old_password": GOOD, "new_password": NEW}, format="json")
    assert res.status_code == 429 and "Try again in" in res.json()["detail"]


def test_a_token_from_before_the_update_is_told_to_sign_in_again(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    old = RefreshToken()
    old["user_id"] = str(user.pk)
    res = APIClient().post("/api/v1/auth/refresh", {"refresh": str(old)}, format="json")
    assert res.status_code == 401 and "before the studio's last update" in res.json()["detail"]


def test_changing_the_password_through_the_api_from_the_page_keeps_that_browser_in(client, user):
    client.post("/accounts/login/", {"username": "alice", "password": GOOD})
    token = client.cookies["csrftoken"].value
    res = client.post("/api/v1/auth/password", {"old_password": GOOD, "new_password": NEW},
                      content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert res.status_code == 200
    assert client.get("/library/").status_code == 200


def test_names_in_any_script_and_registrations_at_the_same_moment_are_one_account(client, monkeypatch):
    api = APIClient()

    def register(name: str, i: int):
        return api.post("/api/v1/auth/register", {"username": name, "email": f"r{i}@example.com",
                                                  "password": "tuneful-melody-77"}, format="json")

    assert register("émile", 1).status_code == 201
    assert register("ÉMILE", 2).status_code == 400  # SQLite's own case matching knows only ASCII
    assert register("straße", 3).status_code == 201
    assert register("STRASSE", 4).status_code == 400
    assert login("ÉMILE", "tuneful-melody-77")["user"]["username"] == "émile"
    # Two requests at once both pass the check before either is stored: the database's key refuses the second.
    import accounts.serializers

    monkeypatch.setattr(accounts.serializers, "taken_username", lambda *a, **k: False)
    assert register("carol", 5).status_code == 201
    late = register("CAROL", 6)
    assert late.status_code == 400 and "taken" in late.json()["username"][0]
