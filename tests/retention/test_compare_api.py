"""POST /api/v1/retention/compare: the cost comparison over HTTP."""

from __future__ import annotations

import pytest

from tests.factories import make_staff
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/retention/compare"

WORKED_EXAMPLE = {
    "current_monthly": "129",
    "horizon_months": 24,
    "competitor": {"promo_monthly": "59", "promo_months": 12, "regular_monthly": "118"},
    "offers": [{"discount_pct": "30", "months": 12}],
}


@pytest.fixture
def clerk_client(api_client):
    api_client.login_token(make_staff(Role.CLERK).user.username)
    return api_client


def test_worked_example(clerk_client):
    # when a clerk compares the DOMAIN.md worked example
    response = clerk_client.post(URL, WORKED_EXAMPLE, content_type="application/json")

    # then the totals are the hand-computed ones (see test_comparison.py), as strings
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stay_total"] == "3096.00"
    assert body["offer_total"] == "2631.60"
    assert body["competitor_total"] == "2124.00"
    assert body["break_even_month"] is None
    assert body["monthly"]["offer"][:13] == ["90.30"] * 12 + ["129.00"]
    assert body["monthly"]["competitor"][11:13] == ["59.00", "118.00"]
    assert len(body["monthly"]["stay"]) == 24
    assert body["explanation_zh"].startswith("竞争对手前12个月每月59元，之后每月118元")
    assert "30% off" in body["explanation_en"]
    assert body["offers"][0]["label_zh"] == "打七折，优惠12个月"


def test_several_offers_switching_costs_and_break_even(clerk_client):
    payload = {
        "current_monthly": "129.00",
        "horizon_months": 24,
        "competitor": {
            "operator": "某运营商",
            "promo_monthly": "59",
            "promo_months": 6,
            "regular_monthly": "118",
            "switching": {"installation": "0"},
        },
        "offers": [
            {"discount_pct": "10", "months": 24},
            {"discount_pct": "30", "months": 24, "bonus_data_gb": "10"},
        ],
    }
    body = clerk_client.post(URL, payload, content_type="application/json").json()
    # best offer is the second; by hand (test_comparison.py): break-even in month 13
    assert body["best_offer_index"] == 1
    assert body["offer_total"] == "2167.20"
    assert body["competitor_total"] == "2478.00"
    assert body["break_even_month"] == 13
    assert body["competitor"]["operator"] == "某运营商"
    assert body["explanation_zh"].startswith("某运营商")


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"current_monthly": "-1"}, ["body", "payload", "current_monthly"]),
        ({"horizon_months": 0}, ["body", "payload", "horizon_months"]),
        ({"horizon_months": 121}, ["body", "payload", "horizon_months"]),
        (
            {"offers": [{"discount_pct": "101", "months": 12}]},
            ["body", "payload", "offers", 0, "discount_pct"],
        ),
        (
            {"competitor": {"promo_monthly": "-59", "promo_months": 12, "regular_monthly": "118"}},
            ["body", "payload", "competitor", "promo_monthly"],
        ),
        # a rule only the engine knows: a discount needs a duration
        ({"offers": [{"discount_pct": "30"}]}, ["body", "payload", "offers", 0, "months"]),
    ],
)
def test_invalid_input_is_422_naming_the_field(clerk_client, change, loc):
    response = clerk_client.post(URL, {**WORKED_EXAMPLE, **change}, content_type="application/json")
    assert response.status_code == 422, response.content
    locs = [error["loc"] for error in response.json()["detail"]]
    assert loc in locs


def test_unauthenticated_is_401(api_client):
    response = api_client.post(URL, WORKED_EXAMPLE, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize("role", [Role.ANALYST, Role.BRANCH_MANAGER])
def test_any_signed_in_role_may_compare(api_client, role):
    api_client.login_token(make_staff(role).user.username)
    response = api_client.post(URL, WORKED_EXAMPLE, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["offer_total"] == "2631.60"


def test_documented_in_openapi(clerk_client):
    schema = clerk_client.get("/api/v1/openapi.json").json()
    assert "post" in schema["paths"]["/api/v1/retention/compare"]
