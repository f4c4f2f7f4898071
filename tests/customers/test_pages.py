"""The customer search page and the 360 page, through the Django test client."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    AccountFactory,
    BillFactory,
    ContactFactory,
    CustomerFactory,
    LineFactory,
    OrgUnitFactory,
    PlanFactory,
    RegionFactory,
    StoreFactory,
    SubscriptionFactory,
    UsageFactory,
    make_staff,
)
from wanliu.core.models import AuditEvent
from wanliu.customers.models import Contact, Customer, Line, PlanChange
from wanliu.org.models import OrgUnit, Role, Store

pytestmark = pytest.mark.django_db

NATIONAL_ID = "330102198807154321"
MASKED_ID = "3301**********4321"


def months_back(today: dt.date, n: int) -> dt.date:
    """First day of the month ``n`` months before today's month."""
    index = today.year * 12 + today.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class History:
    customer: Customer
    bill_totals: list[str]
    old_bill_total: str
    mobile: Line
    latest_note: str
    oldest_note: str


def customer_with_history(*, store: Store, today: dt.date | None = None) -> History:
    """A customer of ``store`` with a bundle, 2 lines, 4 months of bills (the 360 shows the
    last 3), 12 months of usage (+ the current month, not shown), 25 contacts (20 shown)
    and a plan change; dates relative to today's month."""
    today = today or timezone.localdate()
    region = RegionFactory(code="HZ", name="杭州", name_en="Hangzhou")
    customer = CustomerFactory(
        store=store,
        name="王秀英",
        national_id=NATIONAL_ID,
        value_tier="A",
        joined_on=months_back(today, 6 * 12 + 3),
    )
    account = AccountFactory(customer=customer)
    bundle = SubscriptionFactory(
        account=account,
        plan=PlanFactory(),
        started_on=today - dt.timedelta(days=700),
        contract_end_on=today + dt.timedelta(days=30),
    )
    old_plan = PlanFactory(
        code="MOB59",
        name="畅享59元",
        name_en="Unlimited 59",
        family="mobile",
        monthly_fee=Decimal("59.00"),
        broadband_mbps=0,
        mobile_lines=1,
        has_tv=False,
    )
    PlanChange.objects.create(
        subscription=bundle,
        from_plan=old_plan,
        to_plan=bundle.plan,
        changed_on=today - dt.timedelta(days=700),
        reason="升级融合套餐",
    )
    mobile = LineFactory(
        account=account,
        subscription=bundle,
        number="13300571234",
        kind=Line.Kind.MOBILE,
        home_region=region,
    )
    broadband = LineFactory(
        account=account,
        subscription=bundle,
        number="057100012345",
        kind=Line.Kind.BROADBAND,
        status=Line.Status.SUSPENDED,
        suspended_on=today - dt.timedelta(days=10),
        home_region=region,
    )
    totals = ["131.50", "149.20", "129.00"]
    for n, total in enumerate(totals, start=1):
        BillFactory(
            account=account,
            month=months_back(today, n),
            total=Decimal(total),
            items={"plan_fee": "129.00", "data_overage": str(Decimal(total) - Decimal("129.00"))},
        )
    BillFactory(account=account, month=months_back(today, 4), total=Decimal("777.77"))
    for n in range(0, 13):
        UsageFactory(
            line=mobile, month=months_back(today, n), data_gb=Decimal(10 + n), voice_minutes=300
        )
        UsageFactory(line=broadband, month=months_back(today, n), data_gb=Decimal("100"))
    agent = make_staff(Role.HOTLINE_AGENT)
    now = timezone.now()
    for n in range(25):
        ContactFactory(
            customer=customer,
            line=mobile,
            agent=agent,
            channel=Contact.Channel.HOTLINE if n % 2 else Contact.Channel.STORE,
            topic=Contact.Topic.NETWORK,
            started_at=now - dt.timedelta(days=3 * n + 1),
            transferred=n == 0,
            resolved_at_contact=n != 0,
            note=f"接触备注{n:02d}：宽带晚上掉线",
        )
    return History(
        customer=customer,
        bill_totals=totals,
        old_bill_total="777.77",
        mobile=mobile,
        latest_note="接触备注00：宽带晚上掉线",
        oldest_note="接触备注24：宽带晚上掉线",
    )


@pytest.fixture
def stores():
    branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH)
    grid_a = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, region=branch.region)
    grid_b = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, region=branch.region)
    return {"a": StoreFactory(unit=grid_a), "b": StoreFactory(unit=grid_b)}


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def test_search_page_finds_by_name_and_number_within_scope(stores):
    # given a clerk of store A, a customer of A and a namesake of store B
    clerk = make_staff(Role.CLERK, store=stores["a"])
    history = customer_with_history(store=stores["a"])
    CustomerFactory(store=stores["b"], name="王秀兰", customer_no="C-OTHER-1")
    client = client_for(clerk)

    # when the clerk searches by name prefix, then by MSISDN prefix
    by_name = client.get("/customers/", {"q": "王秀"})
    by_number = client.get("/customers/", {"q": "1330057"})

    # then the full page lists only the customer in scope, linked to the 360
    assert by_name.status_code == 200
    page = by_name.content.decode()
    assert "<html" in page
    assert history.customer.customer_no in page
    assert f'href="/customers/{history.customer.pk}/"' in page
    assert "C-OTHER-1" not in page
    assert MASKED_ID in page and NATIONAL_ID not in page
    assert history.customer.customer_no in by_number.content.decode()


def test_htmx_search_returns_only_the_results_fragment(stores):
    # given a clerk with a customer in their store
    clerk = make_staff(Role.CLERK, store=stores["a"])
    customer = CustomerFactory(store=stores["a"], name="李娜")
    client = client_for(clerk)

    # when htmx asks for results as the clerk types
    fragment = client.get("/customers/", {"q": "李"}, HTTP_HX_REQUEST="true")
    # and when htmx restores history after a cache miss
    restore = client.get(
        "/customers/", {"q": "李"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    # then typing gets the table fragment without the page around it; restore the whole page
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body and "<table" in body
    assert customer.customer_no in body
    assert "HX-Request" in fragment["Vary"]
    assert "<html" in restore.content.decode()


def test_search_paginates(stores):
    # given 25 customers named 赵 in the clerk's store
    clerk = make_staff(Role.CLERK, store=stores["a"])
    for n in range(25):
        CustomerFactory(store=stores["a"], name=f"赵{n:02d}", customer_no=f"Z{n:03d}")
    client = client_for(clerk)

    # when the clerk opens the second page
    first = client.get("/customers/", {"q": "赵"}).content.decode()
    second = client.get("/customers/", {"q": "赵", "page": 2}, HTTP_HX_REQUEST="true")

    # then 20 are on the first page and the remaining 5 on the second
    assert first.count('href="/customers/') - first.count('href="/customers/"') == 40
    body = second.content.decode()
    assert body.count("<tr>") == 1 + 5
    assert "Z024" in body and "Z000" not in body
    assert "page=1" in body


def test_360_page_shows_the_whole_customer(stores):
    # given a clerk and a customer of their store with 4 months of bills and 25 contacts
    clerk = make_staff(Role.CLERK, store=stores["a"])
    history = customer_with_history(store=stores["a"])
    client = client_for(clerk)

    # when the clerk opens the 360 page
    response = client.get(f"/customers/{history.customer.pk}/")

    # then header, bundle, lines, last 3 bills, usage chart and latest 20 contacts appear
    assert response.status_code == 200
    page = response.content.decode()
    assert "王秀英" in page and history.customer.customer_no in page
    assert MASKED_ID in page and NATIONAL_ID not in page
    assert "/static/plotly/plotly.min.js" in page
    assert 'id="usage-chart"' in page and "Plotly.newPlot" in page
    for total in history.bill_totals:
        assert f"¥{total}" in page
    assert history.old_bill_total not in page
    assert history.latest_note in page and "接触备注19" in page
    assert history.oldest_note not in page and "接触备注20" not in page
    assert "13300571234" in page and "057100012345" in page
    assert "融合套餐129元" in page and "300 Mbps" in page
    assert 'data-test="contract-ending"' in page
    assert "升级融合套餐" in page
    assert "6年3个月" in page
    assert 'class="badge suspended"' in page
    assert 'data-test="reveal-id"' not in page
    # the usage table: the 12 whole months before this one, data summed over both lines
    today = timezone.localdate()
    usage = page[page.index('data-test="usage"') :]
    usage = usage[: usage.index("</table>")]
    months = [f"{months_back(today, n):%Y-%m}" for n in range(12, 0, -1)]
    assert [m for m in months if m in usage] == months
    assert f"{today:%Y-%m}" not in usage
    assert "122.0" in usage and "111.0" in usage and "110.0" not in usage


def test_360_query_count_does_not_grow_with_contacts_and_lines(
    stores, django_assert_max_num_queries
):
    # given a customer with a whole history, and the number of queries to show them
    clerk = make_staff(Role.CLERK, store=stores["a"])
    history = customer_with_history(store=stores["a"])
    client = client_for(clerk)
    client.get(f"/customers/{history.customer.pk}/")  # session and permission caches warm
    with CaptureQueriesContext(connection) as rich:
        client.get(f"/customers/{history.customer.pk}/")
    # when a customer with a single line and no contacts is shown
    plain = CustomerFactory(store=stores["a"])
    LineFactory(account=AccountFactory(customer=plain))

    # then the page needs no more queries than for the rich history
    with django_assert_max_num_queries(len(rich.captured_queries)):
        assert client.get(f"/customers/{plain.pk}/").status_code == 200
    # session, user, the 360's reads, the churn scores, complaints, requests, outreach
    assert len(rich.captured_queries) <= 18


def test_reveal_button_only_for_permitted_roles_and_reveal_is_audited(stores):
    # given a customer, a clerk (no permission) and a service supervisor (permission)
    history = customer_with_history(store=stores["a"])
    clerk = client_for(make_staff(Role.CLERK, store=stores["a"]))
    supervisor_staff = make_staff(Role.SERVICE_SUPERVISOR)
    supervisor = client_for(supervisor_staff)
    url = f"/customers/{history.customer.pk}/"

    # when each opens the 360 page
    clerk_page = clerk.get(url).content.decode()
    supervisor_page = supervisor.get(url).content.decode()

    # then only the supervisor gets the "show" button, wired to the audited endpoint
    assert 'data-test="reveal-id"' not in clerk_page
    assert 'data-test="reveal-id"' in supervisor_page
    assert f'hx-post="{url}national-id/"' in supervisor_page
    assert NATIONAL_ID not in supervisor_page

    # when the supervisor clicks it (an htmx POST) and the clerk tries the same
    revealed = supervisor.post(f"{url}national-id/", HTTP_HX_REQUEST="true")
    refused = clerk.post(f"{url}national-id/", HTTP_HX_REQUEST="true")

    # then the supervisor gets the fragment with the full ID and exactly one audit row exists
    assert revealed.status_code == 200
    fragment = revealed.content.decode()
    assert NATIONAL_ID in fragment and 'id="national-id"' in fragment
    assert refused.status_code == 403
    reads = AuditEvent.objects.filter(action="customer.national_id.read")
    assert reads.count() == 1
    row = reads.get()
    assert row.actor_id == supervisor_staff.user.pk
    assert row.object_id == str(history.customer.pk)


def test_out_of_scope_customer_is_404_on_every_page(stores):
    # given a customer of store A and a clerk of store B
    history = customer_with_history(store=stores["a"])
    outsider = client_for(make_staff(Role.CLERK, store=stores["b"]))

    # when the clerk of B asks for the 360 page, the ID reveal and searches for the number
    page = outsider.get(f"/customers/{history.customer.pk}/")
    reveal = outsider.post(f"/customers/{history.customer.pk}/national-id/")
    search = outsider.get("/customers/", {"q": "13300571234"})

    # then the customer does not exist for them
    assert page.status_code == 404
    assert history.latest_note.encode() not in page.content
    assert reveal.status_code == 404
    assert history.customer.customer_no not in search.content.decode()
    assert not AuditEvent.objects.filter(action="customer.national_id.read").exists()


def test_pages_need_login(stores):
    history = customer_with_history(store=stores["a"])
    response = Client().get(f"/customers/{history.customer.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_360_page_in_chinese_then_english_then_chinese(stores):
    # given a clerk on the 360 page, which opens in Chinese
    clerk = make_staff(Role.CLERK, store=stores["a"])
    history = customer_with_history(store=stores["a"])
    client = client_for(clerk)
    url = f"/customers/{history.customer.pk}/"
    chinese = client.get(url).content.decode()
    assert "近3个月账单" in chinese and "最近接触记录" in chinese
    assert "在网时长" in chinese and "停机" in chinese and "杭州" in chinese
    assert "Bills, last 3 months" not in chinese

    # when the clerk switches to English with the language button
    switched = client.post("/language/", {"language": "en", "next": url})
    english = client.get(url).content.decode()

    # then labels, choice labels and names with an English form are in English
    assert switched.status_code == 302 and switched["Location"] == url
    assert "Bills, last 3 months" in english and "Latest contacts" in english
    assert "Tenure" in english and "Hangzhou" in english and "Family bundle 129" in english
    assert "6 years 3 months" in english
    assert "近3个月账单" not in english
    clerk.refresh_from_db()
    assert clerk.language == "en"

    # when the clerk switches back
    client.post("/language/", {"language": "zh-hans", "next": url})
    assert "近3个月账单" in client.get(url).content.decode()
