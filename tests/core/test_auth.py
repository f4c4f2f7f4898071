"""Login, API tokens and failed-login throttling."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.factories import PASSWORD, make_staff
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_good_credentials_and_works(api_client):
    staff = make_staff(Role.ANALYST)
    token = api_client.login_token(staff.user.username)
    assert token.startswith("wl_")
    assert api_client.get("/api/v1/customers").status_code == 200


def test_wrong_password_is_401(api_client):
    staff = make_staff(Role.ANALYST)
    response = api_client.post(
        "/api/v1/auth/token",
        {"username": staff.user.username, "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 401


@override_settings(WANLIU_LOGIN_MAX_FAILURES=3)
def test_repeated_failures_are_throttled_even_with_the_right_password(api_client):
    staff = make_staff(Role.ANALYST)
    for _ in range(3):
        api_client.post(
            "/api/v1/auth/token",
            {"username": staff.user.username, "password": "wrong"},
            content_type="application/json",
        )
    response = api_client.post(
        "/api/v1/auth/token",
        {"username": staff.user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 429


@override_settings(WANLIU_LOGIN_MAX_FAILURES=2)
def test_login_page_throttles_and_logs_in():
    staff = make_staff(Role.ANALYST)
    client = Client(enforce_csrf_checks=False)
    assert client.get("/login/").status_code == 200
    ok = client.post("/login/", {"username": staff.user.username, "password": PASSWORD})
    assert ok.status_code == 302
    client.post("/logout/")
    for _ in range(2):
        assert (
            client.post("/login/", {"username": staff.user.username, "password": "x"}).status_code
            == 401
        )
    blocked = client.post("/login/", {"username": staff.user.username, "password": PASSWORD})
    assert blocked.status_code == 429


def test_forms_need_csrf():
    staff = make_staff(Role.ANALYST)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": staff.user.username, "password": PASSWORD})
    assert response.status_code == 403


def test_session_api_write_needs_csrf_but_reads_work():
    staff = make_staff(Role.ANALYST)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.user)
    assert client.get("/api/v1/customers").status_code == 200


def test_home_needs_login():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
