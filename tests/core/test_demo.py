"""`wanliu demo` prepares an operator and one working login per role."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from wanliu.core.demo import DEMO_PASSWORD
from wanliu.customers.models import Customer
from wanliu.org.models import Role, Staff
from wanliu.scoring.campaigns.selectors import uplift_models_list
from wanliu.scoring.models import Campaign, ChurnScore, ScoringRun

pytestmark = pytest.mark.django_db


def test_demo_creates_one_login_per_role_and_reuses_data():
    # given an empty database, when the demo prepares itself (without serving)
    out = io.StringIO()
    call_command("demo", lines=300, months=3, seed=3, no_serve=True, stdout=out)
    customers = Customer.objects.count()

    # then every role has a login named after it, printed with the password
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for role in Role.values:
        assert role in text
        staff = Staff.objects.select_related("user").get(user__username=role)
        assert staff.role == role
        client = Client()
        response = client.post("/login/", {"username": role, "password": DEMO_PASSWORD})
        assert response.status_code == 302, role

    # and the clerk works in a direct-operated store that has customers
    clerk = Staff.objects.select_related("store").get(user__username="clerk")
    assert clerk.store.direct_operated
    assert Customer.objects.filter(store=clerk.store).exists()

    # when it runs again, the data is reused, not generated twice
    again = io.StringIO()
    call_command("demo", lines=300, months=3, seed=3, no_serve=True, stdout=again)
    assert "Reusing" in again.getvalue()
    assert Customer.objects.count() == customers


def test_demo_clerk_sees_a_360_with_bills_in_both_languages():
    out = io.StringIO()
    call_command("demo", lines=800, months=12, seed=3, no_serve=True, stdout=out)
    # the demo trained and promoted a churn model and scored the month with it
    assert "promoted" in out.getvalue() and "lines scored" in out.getvalue()
    # and learned uplift from its past campaigns, so a new campaign can be targeted
    assert "Training the uplift model on the past campaigns" in out.getvalue()
    [uplift] = uplift_models_list()
    assert uplift.manifest["campaigns"] == sorted(
        Campaign.objects.filter(status=Campaign.Status.CLOSED).values_list("pk", flat=True)
    )
    run = ScoringRun.objects.get()
    assert run.status == ScoringRun.Status.DONE
    assert ChurnScore.objects.filter(model_version=run.model_version).count() == run.lines_scored
    client = Client()
    client.post("/login/", {"username": "clerk", "password": DEMO_PASSWORD})
    customer = Customer.objects.filter(
        store__staff__user__username="clerk", accounts__lines__churn_scores__isnull=False
    ).first()
    zh = client.get(f"/customers/{customer.pk}/").content.decode()
    assert customer.name in zh
    assert "账单" in zh
    assert 'data-test="risk-band"' in zh
    client.post("/language/", {"language": "en", "next": "/"})
    en = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Bills" in en or "bills" in en
