"""The retention desk pages through the Django test client (htmx and plain posts)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.retention.conftest import through_step
from wanliu.retention import services as s
from wanliu.retention.models import (
    CancellationRequest,
    OfferGrant,
    RetentionCase,
    Status,
    WinBackEntry,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_desk_shows_the_six_steps_and_the_consumption(world, client_as):
    request = through_step(world, 3)
    html = client_as("clerk").get(f"/retention/requests/{request.pk}/").content.decode()
    for n in range(1, 7):
        assert f'data-test="step-{n}"' in html
    assert 'data-test="step-3-done"' in html and 'data-test="step-4-done"' not in html
    assert "¥129.00" in html and "131.50" in html
    assert 'data-test="desk-comparison"' in html and "3540.00" not in html  # 24 months
    assert "2124.00" in html  # the competitor over the default 24 months: 59 x 12 + 118 x 12


def test_the_desk_is_404_outside_the_scope(world, client_as):
    request = through_step(world, 1)
    assert client_as("farclerk").get(f"/retention/requests/{request.pk}/").status_code == 404
    assert client_as("clerk2").get(f"/retention/requests/{request.pk}/").status_code == 404
    response = client_as("farclerk").post(
        f"/retention/requests/{request.pk}/do/calm/", {"stated_complaint": "x", "mood": "calm"}
    )
    assert response.status_code == 404


def test_an_htmx_step_swaps_the_desk_and_a_plain_post_redirects(world, client_as):
    request = through_step(world, 0)
    client = client_as("clerk")
    swapped = client.post(
        f"/retention/requests/{request.pk}/do/calm/",
        {"stated_complaint": "太贵了", "mood": "angry"},
        **HTMX,
    )
    assert swapped.status_code == 200
    html = swapped.content.decode()
    assert html.lstrip().startswith('<div id="desk"') and 'data-test="step-1-done"' in html
    plain = client.post(
        f"/retention/requests/{request.pk}/do/consumption/", {"reviewed_with_customer": "on"}
    )
    assert plain.status_code == 302 and plain.url == f"/retention/requests/{request.pk}/"
    assert CancellationRequest.objects.get(pk=request.pk).current_monthly_fee is not None


def test_a_refused_action_shows_its_reason_next_to_the_step(world, client_as):
    request = through_step(world, 1)
    client = client_as("clerk")
    swapped = client.post(
        f"/retention/requests/{request.pk}/do/reason/", {"reason": "service_quality"}, **HTMX
    )
    assert swapped.status_code == 200
    assert 'data-test="error-reason"' in swapped.content.decode()
    plain = client.post(f"/retention/requests/{request.pk}/do/close/", {})
    assert plain.status_code == 409
    assert 'data-test="error-outcome"' in plain.content.decode()


def test_a_clerk_gets_no_grant_button_for_level2_and_a_forged_post_is_refused(world, client_as):
    request = through_step(world, 2)
    client = client_as("clerk")
    html = client.get(f"/retention/requests/{request.pk}/").content.decode()
    assert 'data-test="grant-T-L1-10OFF12"' in html
    assert 'data-test="grant-T-L2-30OFF36"' not in html
    assert 'data-test="ask-approval-T-L2-30OFF36"' in html
    forged = client.post(f"/retention/requests/{request.pk}/do/grant/", {"offer": "T-L2-30OFF36"})
    assert forged.status_code == 403
    assert not OfferGrant.objects.exists()


def test_approval_queue_page(world, client_as):
    request = through_step(world, 2)
    grant = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    manager = client_as("manager")
    page = manager.get("/retention/approvals/").content.decode()
    assert request.request_no in page and 'data-test="pending-approvals">1<' in page
    assert (
        request.request_no
        not in client_as("farmanager").get("/retention/approvals/").content.decode()
    )
    row = manager.post(f"/retention/approvals/{grant.pk}/approve/", {"note": ""}, **HTMX)
    assert 'data-test="decision"' in row.content.decode()
    assert OfferGrant.objects.get(pk=grant.pk).status == OfferGrant.Status.APPROVED
    # another branch's manager cannot even find it
    assert (
        client_as("farmanager").post(f"/retention/approvals/{grant.pk}/reject/", {}).status_code
        == 404
    )


def test_new_request_page_finds_the_customer_and_opens(world, client_as):
    client = client_as("clerk")
    found = client.get("/retention/new/", {"q": "王秀"}).content.decode()
    assert world.customer.name in found
    chosen = client.get("/retention/new/", {"customer": world.customer.pk}).content.decode()
    assert f"subscription:{world.bundle.pk}" in chosen
    opened = client.post(
        "/retention/new/",
        {
            "customer": world.customer.pk,
            "target": f"subscription:{world.bundle.pk}",
            "kind": "cancel",
        },
    )
    request = CancellationRequest.objects.get()
    assert opened.status_code == 302 and opened.url == f"/retention/requests/{request.pk}/"
    assert request.store == world.store and request.opened_by == world.clerk.user
    # customers of other stores are not found, roles that do not work requests may not open
    assert (
        world.customer.name
        not in client_as("farclerk").get("/retention/new/", {"q": "王秀"}).content.decode()
    )
    assert client_as("supervisor").get("/retention/new/").status_code == 403


def test_my_requests_and_supervision_pages(world, client_as):
    request = through_step(world, 1)
    s.refusals_flag(now=request.due_at + dt.timedelta(minutes=1))
    mine = client_as("clerk").get("/retention/").content.decode()
    assert request.request_no in mine and 'data-test="row-refusal"' in mine
    assert request.request_no not in client_as("farclerk").get("/retention/").content.decode()
    assert client_as("clerk").get("/retention/supervision/").status_code == 403
    supervision = client_as("manager").get("/retention/supervision/").content.decode()
    assert world.store.name in supervision and 'data-test="store-refusals"' in supervision
    filtered = client_as("supervisor").get("/retention/supervision/", {"flagged": "0"}, **HTMX)
    assert request.request_no not in filtered.content.decode()


def test_win_back_page_and_outcome(world, client_as):
    request = s.cancellation_request_insist(request=through_step(world, 1), actor=world.clerk.user)
    s.step_part_well_record(
        request=request,
        actor=world.clerk.user,
        allowed_recontact_on=timezone.localdate() + dt.timedelta(days=30),
    )
    entry = WinBackEntry.objects.get()
    client = client_as("clerk")
    assert world.customer.name in client.get("/retention/win-back/").content.decode()
    row = client.post(
        f"/retention/win-back/{entry.pk}/outcome/", {"status": "won_back", "note": "回来了"}, **HTMX
    )
    assert "回来了" in row.content.decode()
    assert WinBackEntry.objects.get().status == WinBackEntry.Status.WON_BACK
    assert (
        client_as("farclerk")
        .post(f"/retention/win-back/{entry.pk}/outcome/", {"status": "declined", "note": "x"})
        .status_code
        == 404
    )


def test_case_library_pages(world, client_as):
    request = through_step(world, 4)
    grant = s.offer_grant(request=request, offer=world.level2, actor=world.manager.user)
    s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_WITH_OFFER, actor=world.clerk.user, grant=grant
    )
    manager = client_as("manager")
    manager.post(f"/retention/requests/{request.pk}/do/publish/", {"title": "七折挽留"})
    clerk = client_as("clerk")
    listing = clerk.get("/retention/cases/", {"reason": "competitor_offer"}).content.decode()
    assert "七折挽留" in listing
    assert (
        "七折挽留" not in clerk.get("/retention/cases/", {"reason": "relocation"}).content.decode()
    )
    case = RetentionCase.objects.get()
    detail = clerk.get(f"/retention/cases/{case.pk}/").content.decode()
    assert "3250.80" in detail and world.customer.name not in detail


def test_the_comparison_fragment_follows_the_horizon(world, client_as):
    request = through_step(world, 3)
    fragment = client_as("clerk").get(
        f"/retention/requests/{request.pk}/comparison/",
        {"horizon_months": "36", "offers_sent": "1", "offers": ["T-L2-30OFF36"]},
        **HTMX,
    )
    html = fragment.content.decode()
    assert html.startswith('<div id="desk-comparison"')
    assert "4644.00" in html and "3250.80" in html and "3540.00" in html


def test_an_english_desk(world, client_as):
    request = through_step(world, 1)
    client = client_as("clerk")
    client.post("/language/", {"language": "en", "next": "/"})
    html = client.get(f"/retention/requests/{request.pk}/").content.decode()
    assert "Calm the customer" in html and 'lang="en"' in html


def test_opening_with_a_bad_target_says_why(world, client_as):
    response = client_as("clerk").post(
        "/retention/new/", {"customer": world.customer.pk, "target": "nonsense", "kind": "cancel"}
    )
    assert response.status_code == 400
    assert 'data-test="error-open"' in response.content.decode()
    assert not CancellationRequest.objects.exists()


def test_a_grid_lead_of_the_branch_may_not_approve_on_the_page(world, client_as):
    request = through_step(world, 2)
    grant = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    response = client_as("gridlead").post(f"/retention/approvals/{grant.pk}/approve/", {})
    assert response.status_code == 403
    assert OfferGrant.objects.get(pk=grant.pk).status == OfferGrant.Status.PENDING


def test_a_reason_that_goes_straight_to_processing_offers_the_button(world, client_as):
    request = through_step(world, 2)
    s.step_reason_record(request=request, actor=world.clerk.user, reason="relocation")
    client = client_as("clerk")
    html = client.get(f"/retention/requests/{request.pk}/").content.decode()
    assert 'data-test="process-now"' in html
    client.post(f"/retention/requests/{request.pk}/do/outcome/", {"outcome": "cancelled"})
    assert CancellationRequest.objects.get(pk=request.pk).status == Status.CANCELLED
    # at a partner outlet (which may not complete cancellations) there is no such button
    at_partner = s.cancellation_request_open(
        actor=world.partner_clerk.user,
        customer=world.customer,
        kind="cancel",
        target="line",
        line=world.lines[0],
    )
    s.step_reason_record(request=at_partner, actor=world.partner_clerk.user, reason="relocation")
    page = client_as("partner").get(f"/retention/requests/{at_partner.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-test="route-process-text"' in html and 'data-test="process-now"' not in html


def _two_waiting_approvals(world):
    """One level-2 offer waiting at the customer's store, one at the second store."""
    first = through_step(world, 2)
    at_first = s.offer_approval_request(
        request=first, offer=world.level2, actor=world.clerk.user, note="竞对"
    )
    line = s.cancellation_request_open(
        actor=world.clerk.user,
        customer=world.customer,
        kind="cancel",
        target="line",
        line=world.lines[0],
    )
    through_step(world, 2, request=line)
    at_second = s.offer_approval_request(
        request=line, offer=world.level2, actor=world.clerk.user, note="再谈"
    )
    s.cancellation_request_transfer(
        request=line, to_store=world.second_store, actor=world.clerk.user, reason="离家近"
    )
    return first, at_first, line, at_second


def test_approval_queue_filters_by_store_offer_and_request_number(world, client_as):
    first, at_first, _line, at_second = _two_waiting_approvals(world)
    manager = client_as("manager")
    page = manager.get("/retention/approvals/").content.decode()
    assert page.count('data-test="approval-row"') == 2
    assert f'<option value="{world.second_store.pk}"' in page  # the stores waiting
    assert 'data-test="asked-at"' in page
    # one store: the htmx swap holds that store's rows only
    rows = manager.get(f"/retention/approvals/?store={world.second_store.pk}", **HTMX)
    html = rows.content.decode()
    assert f'data-grant="{at_second.pk}"' in html and f'data-grant="{at_first.pk}"' not in html
    assert "<table" not in html  # the rows, not the page
    # by request number, and an offer nobody waits for
    html = manager.get(f"/retention/approvals/?q={first.request_no}").content.decode()
    assert f'data-grant="{at_first.pk}"' in html and f'data-grant="{at_second.pk}"' not in html
    html = manager.get("/retention/approvals/?offer=T-L1-10OFF12").content.decode()
    assert 'data-test="approval-queue-empty"' in html and "没有符合筛选条件的待审批优惠" in html
    manager.post("/language/", {"language": "en", "next": "/"})
    english = manager.get("/retention/approvals/?offer=T-L1-10OFF12").content.decode()
    assert "No waiting offer matches these filters." in english


def test_approval_queue_api_filters(world, api_client):
    _first, at_first, line, at_second = _two_waiting_approvals(world)
    api_client.login_token("manager")

    def ids(query: str) -> list[int]:
        response = api_client.get(f"/api/v1/retention/approvals{query}")
        assert response.status_code == 200
        return [g["id"] for g in response.json()]

    assert ids("") == [at_first.pk, at_second.pk]  # oldest first
    assert ids(f"?store_id={world.second_store.pk}") == [at_second.pk]
    assert ids(f"?store_id={world.store.pk}") == [at_first.pk]
    assert ids("?offer_code=T-L2-30OFF36") == [at_first.pk, at_second.pk]
    assert ids("?offer_code=T-L1-10OFF12") == []
    assert ids(f"?q={line.request_no}") == [at_second.pk]
    assert api_client.get("/api/v1/retention/approvals?store_id=x").status_code == 422
