import pytest

pytestmark = pytest.mark.django_db


def test_register_page_logs_in_and_logout(client, django_user_model):
    res = client.post("/accounts/register/", {"username": "dana", "email": "dana@example.com",
                                              "password1": "tuneful-melody-77", "password2": "tuneful-melody-77"})
    assert res.status_code == 302 and res.url == "/library/"
    assert client.get("/library/").status_code == 200
    # the address typed in asks first (a GET never signs out), then the button does it
    ask = client.get("/accounts/logout/")
    assert ask.status_code == 200 and b"Log out?" in ask.content
    assert client.get("/library/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/library/").status_code == 302
    assert client.get("/accounts/logout/").url == "/accounts/login/"


def test_login_page_accepts_email(client, user):
    res = client.post("/accounts/login/", {"username": "alice@example.com", "password": "correct-horse-42"})
    assert res.status_code == 302
    assert client.get("/library/").status_code == 200


def test_login_page_shows_error(client, user):
    res = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert res.status_code == 200
    assert b"correct" in res.content.lower() or b"enter a correct" in res.content.lower()
