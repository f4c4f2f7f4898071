"""Login, API tokens and failed-login throttling."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.complaints.world import seed_policy
from tests.factories import PASSWORD, CustomerFactory, make_staff
from wanliu.complaints.models import WorkOrder
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
    # given a hotline agent signed in with the browser session (no bearer token)
    seed_policy()
    customer = CustomerFactory()
    staff = make_staff(Role.HOTLINE_AGENT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.user)
    complaint = {
        "customer_id": customer.pk,
        "channel": "hotline",
        "category": "network-coverage",
        "title": "信号差",
        "description": "客户反映家中信号差。",
    }
    # then a read works without a CSRF token
    assert client.get("/api/v1/customers").status_code == 200
    # and a write without the token is refused, and writes nothing
    refused = client.post("/api/v1/complaints/orders", complaint, content_type="application/json")
    assert refused.status_code == 403
    assert not WorkOrder.objects.exists()
    # when the page's CSRF cookie is sent back in the header, the same write succeeds
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/complaints/orders",
        complaint,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 201, accepted.content
    assert WorkOrder.objects.get().created_by == staff.user


def test_home_needs_login():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@override_settings(WANLIU_LOGIN_MAX_FAILURES=1, WANLIU_LOGIN_WINDOW_SECONDS=600)
def test_the_throttle_message_tells_the_configured_window(api_client):
    # given a throttle window of 10 minutes and one failed login
    staff = make_staff(Role.ANALYST)
    wrong = {"username": staff.user.username, "password": "wrong"}
    failed = api_client.post(
        "/api/v1/auth/token", wrong, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert failed.json()["detail"] == "Wrong username or password."
    # when the API and the login page are tried again
    api = api_client.post(
        "/api/v1/auth/token", wrong, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    api_zh = api_client.post("/api/v1/auth/token", wrong, content_type="application/json")
    page = Client().post("/login/", wrong, HTTP_ACCEPT_LANGUAGE="zh-hans")
    # then each says to wait 10 minutes, in the caller's language
    assert api.status_code == 429
    assert api.json()["detail"] == "Too many failed logins. Wait 10 minutes and try again."
    assert api_zh.json()["detail"] == "登录失败次数过多，请10分钟后再试。"
    assert page.status_code == 429
    assert "登录失败次数过多，请10分钟后再试。" in page.content.decode()
