import pytest

pytestmark = pytest.mark.django_db


def register(client, username="bob", email="bob@example.com", password="a-very-good-pass-1"):
    return client.post("/api/v1/auth/register", {"username": username, "email": email, "password": password},
                       format="json")


def test_register_login_me_and_patch(client):
    from rest_framework.test import APIClient

    c = APIClient()
    res = register(c)
    assert res.status_code == 201, res.content
    assert "password" not in res.json()
    res = c.post("/api/v1/auth/login", {"email": "BOB@example.com", "password": "a-very-good-pass-1"}, format="json")
    assert res.status_code == 200
    tokens = res.json()
    assert set(tokens) >= {"access", "refresh"}
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = c.get("/api/v1/auth/me").json()
    assert me["username"] == "bob" and me["email"] == "bob@example.com" and me["plan"] == "free"
    res = c.patch("/api/v1/auth/me", {"first_name": "Bob", "plan": "enterprise"}, format="json")
    assert res.status_code == 200
    assert res.json()["first_name"] == "Bob"
    assert res.json()["plan"] == "free", "users cannot upgrade their own plan"


def test_login_with_username_and_wrong_password():
    from rest_framework.test import APIClient

    c = APIClient()
    register(c)
    assert c.post("/api/v1/auth/login", {"username": "bob", "password": "a-very-good-pass-1"},
                  format="json").status_code == 200
    res = c.post("/api/v1/auth/login", {"username": "bob", "password": "nope"}, format="json")
    assert res.status_code == 400


def test_login_names_every_missing_field():
    from rest_framework.test import APIClient

    c = APIClient()
    errors = c.post("/api/v1/auth/login", {}, format="json").json()
    assert set(errors) == {"username", "password"}, errors
    errors = c.post("/api/v1/auth/login", {"password": "x"}, format="json").json()
    assert errors == {"username": ["Give a username or email."]}


def test_register_rejects_duplicates_and_weak_passwords():
    from rest_framework.test import APIClient

    c = APIClient()
    assert register(c).status_code == 201
    assert register(c, username="bob2").status_code == 400  # same email
    assert register(c, email="x@example.com").status_code == 400  # same username
    res = register(c, username="carol", email="carol@example.com", password="123")
    assert res.status_code == 400


def test_refresh_rotates_and_blacklists_and_logout_revokes():
    from rest_framework.test import APIClient

    c = APIClient()
    register(c)
    tokens = c.post("/api/v1/auth/login", {"username": "bob", "password": "a-very-good-pass-1"}, format="json").json()
    res = c.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert res.status_code == 200
    rotated = res.json()
    assert rotated["refresh"] != tokens["refresh"]
    # the old refresh token was blacklisted on rotation
    assert c.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    assert c.post("/api/v1/auth/logout", {"refresh": rotated["refresh"]}, format="json").status_code == 205
    assert c.post("/api/v1/auth/refresh", {"refresh": rotated["refresh"]}, format="json").status_code == 401


def test_endpoints_need_authentication():
    from rest_framework.test import APIClient

    c = APIClient()
    for path in ("/api/v1/auth/me", "/api/v1/audio", "/api/v1/jobs"):
        res = c.get(path)
        # in words, with a code a page uses to offer the sign-in
        assert res.status_code == 401 and res.json()["code"] == "signed_out", res.json()
        assert res.json()["detail"].startswith("You are not signed in")


def test_token_lifetimes(settings):
    from datetime import timedelta

    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=30)
    assert settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] == timedelta(days=7)
