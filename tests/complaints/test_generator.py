"""Demo data: the complaints history of the generated operator."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import numpy as np
import pytest
from django.utils import timezone

from tests.factories import PASSWORD
from wanliu.complaints.businesstime import add_working_minutes
from wanliu.complaints.generator import (
    ComplaintsHistoryExists,
    _Clock,
    complaints_history_generate,
)
from wanliu.complaints.models import (
    ContactResolution,
    Escalation,
    Revisit,
    Survey,
    WorkOrder,
)
from wanliu.complaints.services.fcr import contact_resolutions_compute
from wanliu.complaints.services.sla import work_calendar_of
from wanliu.customers.generator.services import operator_generate
from wanliu.org.models import Role, Staff
from wanliu.retention.generator import retention_history_generate
from wanliu.retention.models import CancellationRequest

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 12, 1)
SEED = 7
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def operator(db: None) -> None:
    operator_generate(lines=3000, months=12, seed=SEED, as_of=AS_OF, progress=False)
    retention_history_generate(seed=SEED, as_of=AS_OF, progress=False)


def _month(order: WorkOrder) -> str:
    return f"{order.received_at.astimezone(TZ):%Y-%m}"


def _fingerprint() -> list[tuple[object, ...]]:
    return list(
        WorkOrder.objects.order_by("id").values_list(
            "customer_id",
            "received_at",
            "category_id",
            "channel",
            "status",
            "owner_unit_id",
            "owner_staff_id",
            "resolved_at",
            "reopen_count",
        )
    )


def test_history_is_shaped_like_the_field_figures_and_tied_to_refusing_stores(operator):
    # when the history is generated for 3,000 lines (the field figures are for 20,000)
    report = complaints_history_generate(seed=SEED, as_of=AS_OF)
    orders = list(WorkOrder.objects.select_related("category", "category__parent"))
    assert report["complaints.workorder"] == len(orders) > 100
    # then cancellation complaints follow the figures, scaled: June 23 -> 3, July 31 -> 5
    # (22 refusals -> 3), September 20 -> 3, October 12 -> 2 (x 3,000 / 20,000)
    cancellation = Counter(_month(o) for o in orders if o.category.code.startswith("cancellation"))
    refusals = Counter(_month(o) for o in orders if o.category.code == "cancellation-refused")
    assert (cancellation["2026-06"], cancellation["2026-07"], refusals["2026-07"]) == (3, 5, 3)
    assert (cancellation["2026-09"], cancellation["2026-10"]) == (3, 2)
    # refusals are filed against the stores that refuse in the retention history, by
    # customers who asked those stores to cancel
    refusing = set(
        CancellationRequest.objects.filter(refusal_flagged_at__isnull=False).values_list(
            "origin_store_id", flat=True
        )
    )
    refused = [o for o in orders if o.category.code == "cancellation-refused"]
    assert refused and all(
        o.owner_store_id in refusing for o in refused if o.channel != "regulator"
    )
    askers = set(CancellationRequest.objects.values_list("customer_id", flat=True))
    assert all(o.customer_id in askers for o in refused)
    # realistic mixes: channels, categories, one owner each, some overdue, some reopened
    assert {o.channel for o in orders} >= {"hotline", "store", "app", "online"}
    assert len({(o.category.parent or o.category).code for o in orders}) >= 5
    assert all(o.owner_unit_id is not None for o in orders)
    hotline_owned = [
        o for o in orders if o.channel == "hotline" and not o.category.code.startswith("cancel")
    ]
    roles = dict(Staff.objects.values_list("id", "role"))
    assert all(roles[o.owner_staff_id] == Role.HOTLINE_AGENT for o in hotline_owned)
    late = [
        o
        for o in orders
        if o.resolved_at and o.resolution_due_at and o.resolved_at > o.resolution_due_at
    ]
    assert 0.03 * len(orders) < len(late) < 0.3 * len(orders)
    assert report["reopened"] == sum(o.reopen_count > 0 for o in orders) > 0
    assert Escalation.objects.exists()
    # a revisit that found the problem still there reopened the order, solved it later
    for revisit in Revisit.objects.filter(outcome="not_solved").select_related("order"):
        assert revisit.order.reopen_count == 1
        assert revisit.order.reopened_at == revisit.done_at
    assert Revisit.objects.filter(done_at__isnull=True).exists()  # some never made


def test_due_times_are_those_of_the_sla_policy_on_its_calendar(operator):
    complaints_history_generate(seed=SEED, as_of=AS_OF)
    checked = 0
    for order in WorkOrder.objects.select_related("sla_policy", "sla_calendar").filter(
        reopen_count=0
    )[:300]:
        calendar = work_calendar_of(order.sla_calendar)
        due = add_working_minutes(
            calendar, order.sla_started_at, order.sla_policy.resolution_minutes
        )
        if order.statutory_due_at is not None:
            due = min(due, order.statutory_due_at)
        assert order.resolution_due_at == due, order.pk
        if order.first_responded_at is None and order.status == "new":
            assert order.first_response_due_at == add_working_minutes(
                calendar, order.received_at, order.sla_policy.first_response_minutes
            )
        else:
            assert order.first_response_due_at is None  # cleared at the first response
        checked += 1
    assert checked > 100
    # the vectorised clock is the business-time addition, minute for minute
    from wanliu.complaints.models import BusinessCalendar

    office = work_calendar_of(BusinessCalendar.objects.get(always_open=False))
    start = int(dt.datetime(2026, 9, 24, 17, 30, tzinfo=TZ).timestamp())
    clock = _Clock(office, start - 86400, start + 60 * 86400)
    starts = np.array([start + k * 997 * 60 for k in range(40)])
    minutes = np.array([(k * 131) % 1500 for k in range(40)])
    for s, m, got in zip(starts, minutes, clock.add(starts, minutes), strict=True):
        at = dt.datetime.fromtimestamp(int(s), tz=dt.UTC)
        assert int(got) == int(add_working_minutes(office, at, int(m)).timestamp())


def test_fcr_flags_are_those_of_the_fcr_service_and_csat_rises_with_fcr(operator):
    complaints_history_generate(seed=SEED, as_of=AS_OF)
    generated = {
        r.contact_id: (r.first_contact_resolved, r.reason, r.repeat_contact_id, r.final)
        for r in ContactResolution.objects.all()
    }
    assert len(generated) > 500
    # when the FCR service recomputes every flag as of the same moment
    ContactResolution.objects.all().delete()
    now = dt.datetime.combine(AS_OF, dt.time(), TZ)
    contact_resolutions_compute(now=now, everything=True)
    service = {
        r.contact_id: (r.first_contact_resolved, r.reason, r.repeat_contact_id, r.final)
        for r in ContactResolution.objects.all()
    }
    # then it agrees with the generator's flags, contact for contact
    assert service == generated
    # and teams with a higher FCR have a higher mean CSAT
    by_team: dict[int, list[int]] = {}
    for survey in Survey.objects.exclude(csat=None):
        by_team.setdefault(survey.team_id, []).append(survey.csat)
    fcr_by_team: dict[int, list[bool]] = {}
    for r in ContactResolution.objects.select_related("contact__agent"):
        if r.contact.agent_id:
            fcr_by_team.setdefault(r.contact.agent.unit_id, []).append(r.first_contact_resolved)
    pairs = [
        (sum(f) / len(f), sum(by_team[t]) / len(by_team[t]))
        for t, f in fcr_by_team.items()
        if t in by_team and len(by_team[t]) >= 3
    ]
    assert len(pairs) >= 2
    slope = np.polyfit([p[0] for p in pairs], [p[1] for p in pairs], 1)[0]
    assert slope > 0


def test_same_seed_same_rows_and_only_once(operator):
    first = complaints_history_generate(seed=SEED, as_of=AS_OF)
    rows = _fingerprint()
    with pytest.raises(ComplaintsHistoryExists):
        complaints_history_generate(seed=SEED, as_of=AS_OF)
    for model in (Survey, Revisit, Escalation, ContactResolution):
        model.objects.all().delete()
    WorkOrder.objects.all().delete()
    again = complaints_history_generate(seed=SEED, as_of=AS_OF)
    assert again == first
    assert [row[1:] for row in _fingerprint()] == [row[1:] for row in rows]


def test_generated_orders_open_in_the_complaints_desk_and_are_found(operator, client, staff_of):
    complaints_history_generate(seed=SEED, as_of=AS_OF)
    supervisor = staff_of("service_supervisor")
    assert client.login(username=supervisor.user.username, password=PASSWORD)
    order = WorkOrder.objects.filter(status="closed").order_by("id").first()
    page = client.get(f"/complaints/{order.pk}/")
    assert page.status_code == 200
    assert order.order_no in page.content.decode()
    found = client.get("/complaints/", {"q": order.order_no})
    assert order.order_no in found.content.decode()
    # and the SLA scan finds nothing left to escalate in the past
    from wanliu.complaints.services.escalation import sla_scan

    result = sla_scan(now=timezone.now())
    assert result.escalations <= WorkOrder.objects.filter(status__in=["new", "in_progress"]).count()


def test_the_demo_generates_the_complaints_history(db):
    from wanliu.core.management.commands.demo import Command

    out = io.StringIO()
    Command(stdout=out)._generate({"lines": 300, "months": 3, "seed": 3})
    assert WorkOrder.objects.exists()
    assert "work orders" in out.getvalue()
