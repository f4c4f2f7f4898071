"""Policy is edited in the admin; the jobs run from the command line; the API is described."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.complaints.helpers import new_order
from wanliu.complaints.models import BusinessCalendar, SlaPolicy, WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(world):
    user = get_user_model().objects.create_superuser("root", "root@wanliu.test", "pw-123456")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/complaints/slapolicy/",
        "/admin/complaints/slapolicy/add/",
        "/admin/complaints/businesscalendar/",
        "/admin/complaints/escalationlevel/",
        "/admin/complaints/cannedreply/add/",
        "/admin/complaints/complaintsettings/",
        "/admin/complaints/workorder/",
        "/admin/complaints/category/",
    ],
)
def test_policy_pages_open_in_the_admin(admin_client, path):
    assert admin_client.get(path).status_code == 200


def test_calendar_edit_page_shows_hours_and_holidays(admin_client):
    calendar = BusinessCalendar.objects.get(always_open=False)
    html = admin_client.get(f"/admin/complaints/businesscalendar/{calendar.pk}/change/").content
    assert "春节".encode() in html and b"2026-02-14" in html


def test_orders_are_read_only_in_the_admin(admin_client, world):
    order = new_order(world)
    response = admin_client.post(
        f"/admin/complaints/workorder/{order.pk}/change/", {"title": "changed"}
    )
    assert response.status_code == 403
    assert WorkOrder.objects.get(pk=order.pk).title == order.title
    assert SlaPolicy.objects.count() == 6


def test_reindex_and_fcr_commands(world):
    order = new_order(world, title="光猫故障")
    WorkOrder.objects.filter(pk=order.pk).update(search_document="")
    out = io.StringIO()
    call_command("complaints", "reindex", stdout=out)
    assert "orders=1" in out.getvalue()
    assert "光 猫 故 障" in WorkOrder.objects.get(pk=order.pk).search_document
    out = io.StringIO()
    call_command("complaints", "fcr", "--all", stdout=out)
    assert out.getvalue().startswith("contacts=")


def test_openapi_lists_the_complaint_endpoints():
    paths = set(Client().get("/api/v1/openapi.json").json()["paths"])
    expected = {
        "/api/v1/complaints/orders",
        "/api/v1/complaints/orders/{order_id}",
        "/api/v1/complaints/orders/{order_id}/transition",
        "/api/v1/complaints/orders/{order_id}/assign",
        "/api/v1/complaints/orders/{order_id}/tasks",
        "/api/v1/complaints/tasks/{task_id}",
        "/api/v1/complaints/orders/{order_id}/hand-overs",
        "/api/v1/complaints/hand-overs/{hand_over_id}/accept",
        "/api/v1/complaints/orders/{order_id}/messages",
        "/api/v1/complaints/orders/{order_id}/attachments",
        "/api/v1/complaints/orders/{order_id}/merge",
        "/api/v1/complaints/orders/{order_id}/reopen",
        "/api/v1/complaints/orders/{order_id}/revisit",
        "/api/v1/complaints/survey/{token}",
    }
    assert expected <= paths
