"""Writes of proactive campaigns. Every service is keyword-only, typed, atomic and appends an
audit row; refusals are ``CampaignError`` subclasses with a message naming the fix.

The campaign's status moves only through ``_transition`` (the table is
``wanliu.scoring.models.campaigns.ALLOWED_TRANSITIONS``): draft → targeted (targeting) →
running (launch: outreach tasks) → closed (outcomes and the report); a targeted campaign
may go back to draft (its targets discarded)."""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.customers.models import Customer, Line, Subscription
from wanliu.org.models import OrgUnit, Role, Staff
from wanliu.retention.models import OPEN_STATUSES, CancellationRequest, RetentionOffer
from wanliu.retention.selectors import offer_ineligibility, retention_policy_current
from wanliu.retention.services.offers import grant_cost
from wanliu.scoring.campaigns.access import (
    can_manage_campaigns,
    can_work_task,
    unit_allowed,
)
from wanliu.scoring.campaigns.data import (
    UPLIFT_NON_FEATURES,
    features_for,
    primary_lines,
    subscription_values,
    uplift_table,
)
from wanliu.scoring.campaigns.errors import (
    CampaignError,
    CampaignIllegalTransition,
    CampaignNotAllowed,
    ContactRefused,
    TargetingFailed,
)
from wanliu.scoring.campaigns.ranking import offers_choose, rank_by, select_under_budget
from wanliu.scoring.campaigns.selectors import (
    campaign_report,
    history_rows,
    outcome_through,
    proactive_policy_current,
    report_as_json,
    target_churned_on,
    uplift_model_get,
)
from wanliu.scoring.engine.artefact import path_within
from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.sbg import SbgFit
from wanliu.scoring.engine.uplift import UpliftModel, uplift_artefact_save
from wanliu.scoring.models import (
    Campaign,
    CampaignTarget,
    LifetimeValueFit,
    OutreachAttempt,
    OutreachTask,
)
from wanliu.scoring.models.campaigns import ALLOWED_TRANSITIONS, STATUS_TIMESTAMP
from wanliu.scoring.operator import last_month, month_add, month_start, operator_extract
from wanliu.scoring.selectors import (
    churn_scores_latest,
    model_path,
    model_roots,
    value_policy_current,
)
from wanliu.scoring.value import SegmentFit, ValueTerms

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
GRID_FAMILIES = ("family_bundle", "broadband")
MAX_BUDGET = Decimal("9999999999.99")


CHUNK = 5000  # ids per IN (...) query


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _scores(line_ids: list[int]) -> dict[int, Any]:
    """The latest stored churn score of each line, queried in chunks."""
    out: dict[int, Any] = {}
    for part in _chunks(line_ids):
        out.update(churn_scores_latest(line_ids=part))
    return out


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def status_label(status: str) -> str:
    return str(Campaign.Status(status).label) if status in Campaign.Status.values else status


def _transition(
    campaign: Campaign, to: str, *, actor: Any, now: dt.datetime, note: str = ""
) -> None:
    """The one way a campaign changes status: refuses moves the table does not allow and
    stamps the new status's timestamp."""
    allowed = ALLOWED_TRANSITIONS[campaign.status]
    if to not in allowed:
        raise CampaignIllegalTransition(
            _(
                "A campaign that is %(current)s cannot become %(wanted)s; from %(current)s it "
                "can only become: %(allowed)s."
            )
            % {
                "current": status_label(campaign.status),
                "wanted": status_label(to),
                "allowed": ", ".join(status_label(s) for s in sorted(allowed)) or _("nothing"),
            }
        )
    before = campaign.status
    campaign.status = to
    fields = ["status"]
    stamp = STATUS_TIMESTAMP.get(to)
    if stamp:
        setattr(campaign, stamp, now)
        fields.append(stamp)
    campaign.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="scoring.campaign.transition",
        obj=campaign,
        before={"status": before},
        after={"status": to},
        note=note,
    )


def _ensure_manager(actor: Any) -> None:
    if actor is not None and not can_manage_campaigns(actor):
        raise CampaignNotAllowed(_("Only analysts and administrators manage campaigns."))


def _ensure_can_run(actor: Any, campaign: Campaign) -> None:
    _ensure_manager(actor)
    if actor is not None and not unit_allowed(actor, campaign.unit):
        raise CampaignNotAllowed(_("This campaign covers customers outside your area."))


def _locked(campaign: Campaign) -> Campaign:
    return (
        Campaign.objects.select_for_update(of=("self",)).select_related("unit").get(pk=campaign.pk)
    )


# --- creating ---------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    name: str,
    offers: list[RetentionOffer],
    budget: Decimal,
    starts_on: dt.date,
    ends_on: dt.date,
    unit: OrgUnit | None = None,
    control_share: Decimal = Decimal("0.100"),
    contact_cost: Decimal = Decimal("2.00"),
    channel: str = Campaign.Channel.AUTO,
    seed: int | None = None,
    today: dt.date | None = None,
) -> Campaign:
    """A draft campaign; the control group seed is drawn (and recorded) when not given."""
    _ensure_manager(actor)
    today = today or timezone.localdate()
    name = name.strip()
    if not name:
        raise CampaignError(_("Give the campaign a name."), field="name")
    if len(name) > 120:
        raise CampaignError(_("The name is at most 120 characters."), field="name")
    if not offers:
        raise CampaignError(_("Choose at least one retention offer."), field="offers")
    inactive = [o.code for o in offers if not o.active]
    if inactive:
        raise CampaignError(
            _("These offers are no longer active: %(codes)s.") % {"codes": ", ".join(inactive)},
            field="offers",
        )
    if budget <= 0 or budget > MAX_BUDGET:
        raise CampaignError(_("The budget is an amount in yuan above 0."), field="budget")
    if not Decimal("0.01") <= control_share <= Decimal("0.5"):
        raise CampaignError(
            _("The control share is between 0.01 and 0.5 (e.g. 0.1 keeps 10% aside)."),
            field="control_share",
        )
    if contact_cost < 0:
        raise CampaignError(
            _("The cost per contact attempt cannot be negative."), field="contact_cost"
        )
    if ends_on < starts_on:
        raise CampaignError(_("The campaign ends on or after the day it starts."), field="ends_on")
    if ends_on < today:
        raise CampaignError(_("The campaign must end today or later."), field="ends_on")
    if channel not in Campaign.Channel.values:
        raise CampaignError(
            _("Who calls: one of %(choices)s.") % {"choices": ", ".join(Campaign.Channel.values)},
            field="channel",
        )
    if actor is not None and not unit_allowed(actor, unit):
        raise CampaignNotAllowed(_("You may only run campaigns over customers of your area."))
    campaign = Campaign.objects.create(
        name=name,
        unit=unit,
        budget=_money(budget),
        control_share=control_share.quantize(Decimal("0.001")),
        contact_cost=_money(contact_cost),
        starts_on=starts_on,
        ends_on=ends_on,
        channel=channel,
        seed=seed if seed is not None else secrets.randbelow(2**31),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    campaign.offers.set(offers)
    audit_record(
        actor=actor,
        action="scoring.campaign.create",
        obj=campaign,
        after={
            "name": name,
            "offers": sorted(o.code for o in offers),
            "budget": f"{campaign.budget:.2f}",
            "control_share": f"{campaign.control_share:.3f}",
            "seed": campaign.seed,
        },
    )
    return campaign


# --- targeting --------------------------------------------------------------------------


@transaction.atomic
def campaign_targeting_request(
    *, campaign: Campaign, actor: Any, model: str = "", now: dt.datetime | None = None
) -> Campaign:
    """Queue targeting in the background (the worker runs ``campaign_target``)."""
    from wanliu.scoring.campaigns.tasks import campaign_target_task

    now = now or timezone.now()
    campaign = _locked(campaign)
    _ensure_can_run(actor, campaign)
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignIllegalTransition(
            _("Only a draft campaign is targeted; this one is %(status)s.")
            % {"status": status_label(campaign.status)}
        )
    campaign.targeting_requested_at = now
    campaign.targeting_error = ""
    campaign.save(update_fields=["targeting_requested_at", "targeting_error"])
    audit_record(actor=actor, action="scoring.campaign.targeting_request", obj=campaign)
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(lambda: campaign_target_task.enqueue(campaign.pk, model or "", actor_id))
    return campaign


@dataclass
class _Candidates:
    line: np.ndarray
    customer: np.ndarray
    subscription: np.ndarray
    fee: list[Decimal]


def _candidates(campaign: Campaign, tables: Path, as_of: dt.date, today: dt.date) -> _Candidates:
    """One line per customer of the campaign's area who may be contacted now: active, not
    opted out, not in another open campaign, not resting after a recent one, without an open
    cancellation request (the retention desk has them)."""
    people = primary_lines(tables, as_of=as_of)
    customers = Customer.objects.filter(marketing_opt_out=False)
    if campaign.unit is not None:
        customers = customers.filter(unit__path__startswith=campaign.unit.path)
    allowed = set(customers.values_list("pk", flat=True))
    policy = proactive_policy_current()
    rest_from = today - dt.timedelta(days=int(policy.rest_days))
    busy = set(
        CampaignTarget.objects.filter(
            campaign__status__in=[Campaign.Status.TARGETED, Campaign.Status.RUNNING]
        )
        .exclude(campaign=campaign)
        .values_list("customer_id", flat=True)
    )
    resting = set(
        CampaignTarget.objects.filter(
            arm=CampaignTarget.Arm.TREATMENT,
            campaign__status=Campaign.Status.CLOSED,
            campaign__ends_on__gte=rest_from,
        ).values_list("customer_id", flat=True)
    )
    at_desk = set(
        CancellationRequest.objects.filter(status__in=list(OPEN_STATUSES)).values_list(
            "customer_id", flat=True
        )
    )
    line_ids = [int(v) for v in people.column("line_id").to_pylist()]
    active_now = set(Line.objects.filter(status=Line.Status.ACTIVE).values_list("pk", flat=True))
    keep = [
        i
        for i, (line_id, customer_id) in enumerate(
            zip(line_ids, people.column("customer_id").to_pylist(), strict=True)
        )
        if customer_id in allowed
        and customer_id not in busy
        and customer_id not in resting
        and customer_id not in at_desk
        and line_id in active_now
    ]
    fees = people.column("plan_fee").to_pylist()
    return _Candidates(
        line=np.asarray([line_ids[i] for i in keep], dtype=np.int64),
        customer=np.asarray(
            [people.column("customer_id")[i].as_py() for i in keep], dtype=np.int64
        ),
        subscription=np.asarray(
            [people.column("subscription_id")[i].as_py() for i in keep], dtype=np.int64
        ),
        fee=[_money(fees[i] or 0) for i in keep],
    )


def _stored_fits(as_of: dt.date) -> dict[tuple[str, str, str], SegmentFit] | None:
    """The lifetime-value fits the monthly scoring stored for ``as_of``, if any."""
    rows = list(LifetimeValueFit.objects.filter(as_of=as_of))
    if not rows:
        return None
    return {
        (row.plan_family, row.value_tier, row.cohort): SegmentFit(
            plan_family=row.plan_family,
            value_tier=row.value_tier,
            cohort=row.cohort,
            fit=SbgFit(
                alpha=row.alpha,
                beta=row.beta,
                log_likelihood=row.log_likelihood,
                initial=float(row.lines),
                periods=0,
            ),
            lines=row.lines,
            churned=row.churned,
        )
        for row in rows
    }


def _value_terms() -> ValueTerms:
    policy = value_policy_current()
    return ValueTerms(
        margin_share=float(policy.margin_share),
        annual_discount_rate=float(policy.annual_discount_rate),
        horizon_months=int(policy.horizon_months),
    )


@transaction.atomic
def campaign_target(
    *,
    campaign: Campaign,
    actor: Any,
    model: str = "",
    now: dt.datetime | None = None,
    progress: bool = False,
) -> Campaign:
    """Choose the campaign's targets: every customer of its area who may be contacted,
    ranked by expected net value (uplift x remaining value - offer and contact costs, with
    the best eligible offer), taken while the treated fit in the budget, with a stratified
    random control group; draft → targeted."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    campaign = _locked(campaign)
    _ensure_can_run(actor, campaign)
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignIllegalTransition(
            _("Only a draft campaign is targeted; this one is %(status)s.")
            % {"status": status_label(campaign.status)}
        )
    offers = list(campaign.offers.filter(active=True).order_by("code"))
    if not offers:
        raise TargetingFailed(_("The campaign has no active offer to make."))
    try:
        artefact = uplift_model_get(model or None)
    except EngineError as exc:
        raise TargetingFailed(str(exc)) from exc
    known = artefact.model.offers_
    unknown = [o.code for o in offers if o.code not in known]
    if unknown:
        raise TargetingFailed(
            _(
                "The uplift model %(version)s has not learned %(codes)s (it knows %(known)s): "
                "train it again after a campaign that made the offer, or leave the offer out."
            )
            % {
                "version": artefact.version,
                "codes": ", ".join(unknown),
                "known": ", ".join(known),
            }
        )
    policy = proactive_policy_current()
    max_attempts = int(policy.max_attempts_per_target)
    with tempfile.TemporaryDirectory(prefix="wanliu-target-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, progress=progress)
        try:
            newest = last_month(tables)
        except ValueError as exc:
            raise TargetingFailed(str(exc)) from exc
        as_of = min(month_start(campaign.starts_on), month_add(newest, 1))
        candidates = _candidates(campaign, tables, as_of, today)
        if len(candidates.line) == 0:
            raise TargetingFailed(_("Nobody in the campaign's area may be contacted now."))
        features = features_for(tables, as_of=as_of, line_ids=candidates.line.tolist())
        found = np.asarray(features.column("line_id").to_pylist(), dtype=np.int64)
        keep = np.isin(candidates.line, found)
        line_ids = candidates.line[keep]
        customer_ids = candidates.customer[keep]
        subscription_ids = candidates.subscription[keep]
        fees = [f for f, k in zip(candidates.fee, keep.tolist(), strict=True) if k]
        columns = [known.index(o.code) for o in offers]
        uplift = artefact.model.predict(features)[:, columns]
        acceptance = artefact.model.predict_acceptance(features)
        accept = acceptance[:, columns] if acceptance is not None else None
        # stored scores of every line of the candidates' plans (their remaining values)
        sub_lines: list[int] = []
        for part in _chunks([int(v) for v in subscription_ids.tolist()]):
            sub_lines += list(
                Line.objects.filter(subscription_id__in=part).values_list("pk", flat=True)
            )
        scores = _scores(sorted(set(sub_lines) | {int(v) for v in line_ids.tolist()}))
        stored = {
            line_id: float(score.remaining_value)
            for line_id, score in scores.items()
            if score.remaining_value is not None
        }
        values_by_sub = subscription_values(
            tables,
            as_of=as_of,
            terms=_value_terms(),
            fits=_stored_fits(as_of),
            stored=stored,
            subscriptions={int(v) for v in subscription_ids.tolist()},
        )
    value = np.asarray([values_by_sub.get(int(s), 0.0) for s in subscription_ids])
    customers: dict[int, Customer] = {}
    plan_families: dict[int, set[str]] = defaultdict(set)
    for part in _chunks([int(v) for v in customer_ids.tolist()]):
        customers.update(Customer.objects.in_bulk(part))
        for customer_id, family in Subscription.objects.filter(
            account__customer_id__in=part, ended_on__isnull=True
        ).values_list("account__customer_id", "plan__family"):
            plan_families[int(customer_id)].add(str(family))
    n, k = len(line_ids), len(offers)
    eligible = np.zeros((n, k), dtype=bool)
    cost = np.zeros((n, k))
    costs: dict[tuple[int, Decimal], Decimal] = {}
    for i in range(n):
        customer = customers[int(customer_ids[i])]
        for j, offer in enumerate(offers):
            eligible[i, j] = not offer_ineligibility(
                offer,
                customer=customer,
                today=campaign.starts_on,
                families=plan_families[int(customer_ids[i])],
            )
            key = (j, fees[i])
            if key not in costs:
                costs[key] = grant_cost(offer=offer, monthly_fee=fees[i])[1]
            cost[i, j] = float(costs[key])
    contact_cost = float(campaign.contact_cost)
    expected_attempts = artefact.model.mean_attempts_ or float(max_attempts)
    choice = offers_choose(
        uplift=uplift,
        value=value,
        offer_cost=cost,
        eligible=eligible,
        accept=accept,
        contact_cost=contact_cost,
        expected_attempts=min(expected_attempts, float(max_attempts)),
        max_attempts=max_attempts,
    )
    order = rank_by(choice.net, keep=(choice.offer >= 0) & (choice.net > 0), ids=line_ids)
    selection = select_under_budget(
        order=order,
        reserved=choice.reserved,
        budget=float(campaign.budget),
        control_share=float(campaign.control_share),
        seed=int(campaign.seed),
    )
    if len(selection.index) == 0:
        raise TargetingFailed(
            _(
                "No customer is worth contacting at this budget: none has a positive expected "
                "net value whose costs fit in %(budget)s yuan."
            )
            % {"budget": f"{campaign.budget:.2f}"}
        )
    rows = []
    reserved_total = Decimal("0.00")
    expected_total = Decimal("0.00")
    for rank, (i, is_control, stratum) in enumerate(
        zip(
            selection.index.tolist(),
            selection.control.tolist(),
            selection.stratum.tolist(),
            strict=True,
        ),
        start=1,
    ):
        j = int(choice.offer[i])
        reserved = Decimal("0.00") if is_control else _money(choice.reserved[i])
        net = _money(choice.net[i])
        reserved_total += reserved
        if not is_control:
            expected_total += net
        line_score = scores.get(int(line_ids[i]))
        rows.append(
            CampaignTarget(
                campaign=campaign,
                line_id=int(line_ids[i]),
                customer_id=int(customer_ids[i]),
                arm=CampaignTarget.Arm.CONTROL if is_control else CampaignTarget.Arm.TREATMENT,
                offer=offers[j],
                stratum=int(stratum),
                rank=rank,
                uplift=float(uplift[i, j]),
                churn_probability=line_score.probability if line_score is not None else None,
                remaining_value=_money(value[i]),
                expected_net_value=net,
                offer_cost=_money(cost[i, j]),
                reserved_cost=reserved,
            )
        )
    CampaignTarget.objects.bulk_create(rows, batch_size=1000)
    campaign.uplift_model_version = artefact.version
    campaign.features_as_of = as_of
    campaign.max_attempts = max_attempts
    campaign.reserved_cost = reserved_total
    campaign.expected_value = expected_total
    campaign.targeting_error = ""
    campaign.save(
        update_fields=[
            "uplift_model_version",
            "features_as_of",
            "max_attempts",
            "reserved_cost",
            "expected_value",
            "targeting_error",
        ]
    )
    _transition(
        campaign,
        Campaign.Status.TARGETED,
        actor=actor,
        now=now,
        note=f"{len(rows)} targets, {int(selection.control.sum())} in the control group",
    )
    return campaign


def campaign_targeting_failed(*, campaign_id: int, message: str) -> None:
    """Record why background targeting failed (shown on the campaign page)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        campaign.targeting_error = message[:2000]
        campaign.save(update_fields=["targeting_error"])
        audit_record(
            actor=None,
            action="scoring.campaign.targeting_failed",
            obj=campaign,
            note=message,
        )


@transaction.atomic
def campaign_targets_discard(
    *, campaign: Campaign, actor: Any, now: dt.datetime | None = None
) -> Campaign:
    """Back to draft: the targets go (e.g. to target again with another budget)."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    _ensure_can_run(actor, campaign)
    _transition(campaign, Campaign.Status.DRAFT, actor=actor, now=now, note="targets discarded")
    campaign.targets.all().delete()
    campaign.targeted_at = None
    campaign.reserved_cost = Decimal("0.00")
    campaign.expected_value = Decimal("0.00")
    campaign.save(update_fields=["targeted_at", "reserved_cost", "expected_value"])
    return campaign


# --- running ----------------------------------------------------------------------------


@transaction.atomic
def campaign_launch(*, campaign: Campaign, actor: Any, now: dt.datetime | None = None) -> Campaign:
    """Targeted → running: an outreach task for every treated target (never for the control
    group), in the hotline's queue or the grid team's of the customer's unit (``auto``:
    bundles and broadband to the grid team when the unit has a grid lead, else the hotline)."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    _ensure_can_run(actor, campaign)
    if campaign.status == Campaign.Status.TARGETED and campaign.ends_on < timezone.localdate(now):
        raise CampaignError(
            _("The campaign ended on %(day)s: nobody can be called any more.")
            % {"day": f"{campaign.ends_on:%Y-%m-%d}"},
            field="ends_on",
        )
    _transition(campaign, Campaign.Status.RUNNING, actor=actor, now=now)
    treated = campaign.targets.filter(arm=CampaignTarget.Arm.TREATMENT).select_related(
        "customer", "line__subscription__plan"
    )
    # grid teams that can take calls: units with a grid lead
    with_team = set(
        Staff.objects.filter(role=Role.GRID_LEAD).values_list("unit_id", flat=True).distinct()
    )
    tasks = []
    for target in treated:
        family = target.line.subscription.plan.family if target.line.subscription else ""
        if campaign.channel == Campaign.Channel.GRID or (
            campaign.channel == Campaign.Channel.AUTO
            and family in GRID_FAMILIES
            and target.customer.unit_id in with_team
        ):
            queue = OutreachTask.Queue.GRID
        else:
            queue = OutreachTask.Queue.HOTLINE
        tasks.append(
            OutreachTask(
                target=target,
                campaign=campaign,
                queue=queue,
                unit_id=target.customer.unit_id,
                created_at=now,
            )
        )
    OutreachTask.objects.bulk_create(tasks, batch_size=1000)
    audit_record(
        actor=actor,
        action="scoring.campaign.launch",
        obj=campaign,
        after={"tasks": len(tasks)},
    )
    return campaign


def _spent(campaign: Campaign) -> Decimal:
    total = Decimal("0.00")
    for contact_cost, offer_cost in campaign.tasks.values_list("contact_cost", "offer_cost"):
        total += contact_cost + offer_cost
    return total


@transaction.atomic
def outreach_attempt_record(
    *,
    task: OutreachTask,
    actor: Any,
    result: str,
    note: str = "",
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> OutreachAttempt:
    """Record one contact attempt, within the contact policy: only while the campaign runs
    and within its dates, never to a customer who opted out, never in the quiet hours, at
    most the campaign's number of attempts per target. Accepted or declined closes the
    task; so does the last allowed attempt."""
    now = now or timezone.now()
    at = at or now
    task = (
        OutreachTask.objects.select_for_update(of=("self",))
        .select_related("campaign", "unit", "target", "target__customer", "target__offer")
        .get(pk=task.pk)
    )
    campaign = task.campaign
    if not can_work_task(actor, task):
        raise CampaignNotAllowed(_("This outreach task is for another queue or area."))
    if result not in OutreachAttempt.Result.values:
        raise CampaignError(
            _("The result is one of: %(choices)s.")
            % {"choices": ", ".join(OutreachAttempt.Result.values)},
            field="result",
        )
    if campaign.status != Campaign.Status.RUNNING:
        raise CampaignIllegalTransition(
            _("The campaign is %(status)s: no contact attempts are recorded.")
            % {"status": status_label(campaign.status)}
        )
    if task.status != OutreachTask.Status.OPEN:
        raise CampaignIllegalTransition(
            _("The task is already done (%(status)s).") % {"status": task.get_status_display()}
        )
    if timezone.is_naive(at):
        raise CampaignError(_("Give the time of the attempt with its time zone."), field="at")
    if at > now + dt.timedelta(minutes=1):
        raise CampaignError(_("Record an attempt once it has been made, not before."), field="at")
    local = at.astimezone(SHANGHAI)
    if not campaign.starts_on <= local.date() <= campaign.ends_on:
        raise ContactRefused(
            _("The campaign calls from %(start)s to %(end)s.")
            % {"start": f"{campaign.starts_on:%Y-%m-%d}", "end": f"{campaign.ends_on:%Y-%m-%d}"}
        )
    customer = task.target.customer
    if customer.marketing_opt_out:
        raise ContactRefused(
            _("The customer opted out of marketing contact: do not call for this campaign.")
        )
    policy = retention_policy_current()
    if policy.in_quiet_hours(local.timetz().replace(tzinfo=None)):
        raise ContactRefused(
            _(
                "%(local)s is in the quiet hours (%(start)s–%(end)s, Asia/Shanghai): call at "
                "another time."
            )
            % {
                "local": f"{local:%H:%M}",
                "start": f"{policy.quiet_hours_start:%H:%M}",
                "end": f"{policy.quiet_hours_end:%H:%M}",
            }
        )
    if task.attempts >= campaign.max_attempts:
        raise ContactRefused(
            _(
                "At most %(limit)s contact attempts per customer in a campaign; %(made)s "
                "already made."
            )
            % {"limit": campaign.max_attempts, "made": task.attempts}
        )
    offer_cost = Decimal("0.00")
    if result == OutreachAttempt.Result.ACCEPTED:
        offer_cost = task.target.offer_cost
        spent = _spent(campaign)
        if spent + offer_cost + campaign.contact_cost > campaign.budget:
            raise CampaignError(
                _(
                    "The campaign budget is used up: %(spent)s of %(budget)s yuan spent, this "
                    "offer needs %(cost)s yuan."
                )
                % {
                    "spent": f"{spent:.2f}",
                    "budget": f"{campaign.budget:.2f}",
                    "cost": f"{offer_cost:.2f}",
                }
            )
    attempt = OutreachAttempt.objects.create(
        task=task,
        at=at,
        result=result,
        note=note.strip()[:300],
        by=actor if getattr(actor, "pk", None) else None,
    )
    before = task.status
    task.attempts += 1
    task.contact_cost += campaign.contact_cost
    fields = ["attempts", "contact_cost"]
    closing = {
        OutreachAttempt.Result.ACCEPTED: OutreachTask.Status.ACCEPTED,
        OutreachAttempt.Result.DECLINED: OutreachTask.Status.DECLINED,
    }
    if result in closing:
        task.status = closing[OutreachAttempt.Result(result)]
    elif task.attempts >= campaign.max_attempts:
        reached = (
            result == OutreachAttempt.Result.REACHED
            or task.attempt_rows.filter(result=OutreachAttempt.Result.REACHED)
            .exclude(pk=attempt.pk)
            .exists()
        )
        task.status = OutreachTask.Status.DECLINED if reached else OutreachTask.Status.NO_ANSWER
    if task.status != before:
        task.closed_at = now
        task.closed_by = actor if getattr(actor, "pk", None) else None
        fields += ["status", "closed_at", "closed_by"]
    if offer_cost:
        task.offer_cost = offer_cost
        fields.append("offer_cost")
    task.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="scoring.outreach.attempt",
        obj=task,
        before={"status": before, "attempts": task.attempts - 1},
        after={"status": task.status, "attempts": task.attempts, "result": result},
    )
    return attempt


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor: Any, now: dt.datetime | None = None) -> Campaign:
    """Running → closed: every target's outcome (stayed, or churned and when, within the
    campaign's dates up to today), unfinished tasks closed, the report kept."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    _ensure_can_run(actor, campaign)
    _transition(campaign, Campaign.Status.CLOSED, actor=actor, now=now)
    through = outcome_through(campaign, today=timezone.localdate(now))
    targets = list(campaign.targets.select_related("line"))
    for target in targets:
        day = target_churned_on(target, campaign=campaign, through=through)
        target.outcome = (
            CampaignTarget.Outcome.CHURNED if day is not None else CampaignTarget.Outcome.STAYED
        )
        target.churned_on = day
    CampaignTarget.objects.bulk_update(targets, ["outcome", "churned_on"], batch_size=1000)
    campaign.tasks.filter(status=OutreachTask.Status.OPEN).update(
        status=OutreachTask.Status.CLOSED, closed_at=now
    )
    campaign.report = report_as_json(campaign_report(campaign, today=through))
    campaign.save(update_fields=["report"])
    audit_record(
        actor=actor,
        action="scoring.campaign.close",
        obj=campaign,
        after={"outcome_through": through.isoformat(), "targets": len(targets)},
    )
    return campaign


# --- the uplift model -------------------------------------------------------------------


@dataclass(frozen=True)
class _ModelRef:
    pk: str


def uplift_model_train(
    *,
    actor: Any = None,
    model: str = "",
    campaign_ids: list[int] | None = None,
    before: dt.date | None = None,
    learner: str = "auto",
    seed: int = 0,
    threads: int = 1,
    force: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Learn uplift from closed campaigns (all of them, those named, or those that started
    before ``before``) and save the artefact in the models root; returns a summary."""
    campaigns = Campaign.objects.filter(status=Campaign.Status.CLOSED)
    if campaign_ids:
        campaigns = campaigns.filter(pk__in=campaign_ids)
        missing = sorted(set(campaign_ids) - set(campaigns.values_list("pk", flat=True)))
        if missing:
            raise CampaignError(
                _("These campaigns are not closed or do not exist: %(ids)s.")
                % {"ids": ", ".join(str(i) for i in missing)},
                field="campaigns",
            )
    if before is not None:
        campaigns = campaigns.filter(starts_on__lt=before)
    chosen = list(campaigns.order_by("starts_on", "pk"))
    if not chosen:
        raise CampaignError(
            _("There is no closed campaign to learn from: close a campaign first."),
            field="campaigns",
        )
    rows = history_rows(campaigns=chosen)
    name = model or f"uplift-{chosen[-1].starts_on:%Y-%m}"
    directory = model_path(name)
    if not path_within(directory, model_roots()):
        raise CampaignError(
            _("--model must be a folder inside the models roots: %(name)s") % {"name": name},
            field="model",
        )
    with tempfile.TemporaryDirectory(prefix="wanliu-uplift-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, progress=progress)
        table = uplift_table(tables, rows)
    fitted = UpliftModel(learner=learner, seed=seed, threads=threads, progress=progress).fit(
        table,
        treatment="arm",
        outcome="churned",
        accepted="accepted",
        attempts="attempts",
        group="group",
        exclude=UPLIFT_NON_FEATURES,
    )
    artefact = uplift_artefact_save(
        fitted,
        directory,
        overwrite=force,
        extra={
            "campaigns": [c.pk for c in chosen],
            "campaign_months": sorted({f"{c.starts_on:%Y-%m}" for c in chosen}),
        },
    )
    summary = {
        "model": str(artefact.path),
        "model_version": artefact.version,
        "learner": fitted.learner_,
        "offers": fitted.offers_,
        "skipped_offers": fitted.skipped_,
        "rows": fitted.rows_,
        "campaigns": [c.pk for c in chosen],
        "cv": {name: item["qini"] for name, item in fitted.cv_.items()},
        "observed": fitted.observed_,
    }
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="scoring.uplift_model.train",
            obj=_ModelRef(pk=artefact.version),
            after={k: v for k, v in summary.items() if k != "observed"},
        )
    return summary
