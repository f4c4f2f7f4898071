"""Reads of proactive campaigns: lists scoped to the caller, the contact policy in force,
the uplift models in the models roots, the campaign report, and the uplift training rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from wanliu.org.scoping import ids_within
from wanliu.scoring.campaigns.access import campaigns_visible_to, outreach_tasks_visible_to
from wanliu.scoring.campaigns.data import HistoryRow
from wanliu.scoring.engine.errors import ArtefactError
from wanliu.scoring.engine.uplift import (
    FORMAT,
    MANIFEST,
    UpliftArtefact,
    difference_interval,
    uplift_artefact_load,
    uplift_manifest_read,
)
from wanliu.scoring.models import (
    Campaign,
    CampaignTarget,
    OutreachAttempt,
    OutreachTask,
    ProactiveContactPolicy,
)
from wanliu.scoring.selectors import model_path, model_roots

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def proactive_policy_current() -> ProactiveContactPolicy:
    """The policy in force: the first row, or the built-in defaults when there is none."""
    return ProactiveContactPolicy.objects.order_by("id").first() or ProactiveContactPolicy()


def campaign_list(*, user: Any, status: str = "") -> QuerySet[Campaign]:
    campaigns = campaigns_visible_to(user).select_related("unit").prefetch_related("offers")
    if status:
        campaigns = campaigns.filter(status=status)
    return campaigns.annotate(
        target_count=Count("targets"),
        control_count=Count("targets", filter=Q(targets__arm=CampaignTarget.Arm.CONTROL)),
    ).order_by("-starts_on", "-id")


def campaign_targets(*, campaign: Campaign, arm: str = "") -> QuerySet[CampaignTarget]:
    """The campaign's targets in rank order (the caller has the campaign through
    ``campaign_get_for``)."""
    targets = campaign.targets.select_related("customer", "line", "offer", "task")
    if arm:
        targets = targets.filter(arm=arm)
    return targets.order_by("rank", "id")


def outreach_task_list(
    *, user: Any, status: str = "open", campaign_id: int | None = None
) -> QuerySet[OutreachTask]:
    tasks = outreach_tasks_visible_to(user).select_related(
        "campaign", "unit", "target", "target__customer", "target__line", "target__offer"
    )
    if status:
        tasks = tasks.filter(status=status)
    if campaign_id is not None:
        tasks = tasks.filter(campaign_id=campaign_id)
    return tasks.order_by("campaign__ends_on", "-target__expected_net_value", "id")


def outreach_attempts(*, task: OutreachTask) -> QuerySet[OutreachAttempt]:
    return task.attempt_rows.select_related("by__staff").order_by("at", "id")


# --- uplift models ----------------------------------------------------------------------


@dataclass
class UpliftModelEntry:
    path: Path
    manifest: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.path.name,
            "path": str(self.path),
            "model_version": self.manifest.get("model_version"),
            "created_at": self.manifest.get("created_at"),
            "learner": self.manifest.get("learner"),
            "offers": self.manifest.get("offers", []),
            "rows": self.manifest.get("rows"),
            "campaigns": self.manifest.get("campaigns", []),
            "cv_qini": {k: v.get("qini") for k, v in (self.manifest.get("cv") or {}).items()},
        }


def uplift_models_list() -> list[UpliftModelEntry]:
    """Every uplift artefact directly inside a models root, newest first (manifests only)."""
    roots = model_roots()
    entries = []
    for root in roots:
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            manifest_file = folder / MANIFEST
            if not manifest_file.is_file():
                continue
            try:
                manifest = uplift_manifest_read(folder, roots=roots)
            except ArtefactError:
                continue
            if manifest.get("format") == FORMAT:
                entries.append(UpliftModelEntry(path=folder, manifest=manifest))
    entries.sort(key=lambda e: (str(e.manifest.get("created_at", "")), e.path.name), reverse=True)
    return entries


def uplift_model_get(name: str | None = None, *, threads: int = 1) -> UpliftArtefact:
    """Load and verify an uplift model by name or path; the newest one when not named."""
    if name:
        return uplift_artefact_load(model_path(name), roots=model_roots(), threads=threads)
    entries = uplift_models_list()
    if not entries:
        raise ArtefactError(
            "there is no uplift model in the models roots: train one with "
            "`wanliu campaign uplift-train` (it learns from closed campaigns)"
        )
    return uplift_artefact_load(entries[0].path, roots=model_roots(), threads=threads)


# --- learning rows ----------------------------------------------------------------------


def history_rows(*, campaigns: QuerySet[Campaign] | list[Campaign]) -> list[HistoryRow]:
    """The targets of closed campaigns with their outcome, as uplift training rows."""
    rows = []
    targets = (
        CampaignTarget.objects.filter(
            campaign__in=list(campaigns), campaign__status=Campaign.Status.CLOSED
        )
        .exclude(outcome="")
        .filter(offer__isnull=False)
        .select_related("campaign", "offer", "task")
        .order_by("campaign_id", "id")
    )
    for target in targets:
        task = getattr(target, "task", None)
        assert target.offer is not None
        rows.append(
            HistoryRow(
                campaign_id=target.campaign_id,
                as_of=target.campaign.features_as_of or target.campaign.starts_on.replace(day=1),
                line_id=target.line_id,
                offer=target.offer.code,
                control=target.arm == CampaignTarget.Arm.CONTROL,
                churned=target.outcome == CampaignTarget.Outcome.CHURNED,
                accepted=task is not None and task.status == OutreachTask.Status.ACCEPTED,
                attempts=task.attempts if task is not None else 0,
            )
        )
    return rows


# --- the report -------------------------------------------------------------------------


def _money(value: Decimal | float | int) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def outcome_through(campaign: Campaign, *, today: dt.date | None = None) -> dt.date:
    """The last day outcomes count to: the end of the campaign, or today while it runs."""
    today = today or timezone.localdate()
    return min(campaign.ends_on, today)


def target_churned_on(
    target: CampaignTarget, *, campaign: Campaign, through: dt.date
) -> dt.date | None:
    """The day the target's line left in the campaign window, if it did."""
    day = target.line.cancelled_on
    if day is not None and campaign.starts_on <= day <= through:
        return day
    return None


def _comparison(
    treated: list[tuple[bool, Decimal]], control: list[tuple[bool, Decimal]]
) -> dict[str, Any]:
    """Retention of the treated against the control, with Newcombe's 95% interval, and
    the value saved: the difference times the remaining value of the treated."""
    n_t, n_c = len(treated), len(control)
    kept_t = sum(1 for churned, _v in treated if not churned)
    kept_c = sum(1 for churned, _v in control if not churned)
    value_t = sum((v for _c, v in treated), ZERO)
    out: dict[str, Any] = {
        "treated": n_t,
        "control": n_c,
        "treated_retained": kept_t,
        "control_retained": kept_c,
        "treated_retention": kept_t / n_t if n_t else None,
        "control_retention": kept_c / n_c if n_c else None,
        "treated_value": _money(value_t),
        "incremental_retention": None,
        "ci_low": None,
        "ci_high": None,
        "incremental_lines": None,
        "value_saved": None,
        "value_saved_low": None,
        "value_saved_high": None,
    }
    if n_t and n_c:
        diff, low, high = difference_interval(kept_t, n_t, kept_c, n_c)
        out.update(
            incremental_retention=diff,
            ci_low=low,
            ci_high=high,
            incremental_lines=diff * n_t,
            value_saved=_money(Decimal(repr(diff)) * value_t),
            value_saved_low=_money(Decimal(repr(low)) * value_t),
            value_saved_high=_money(Decimal(repr(high)) * value_t),
        )
    return out


def campaign_report(campaign: Campaign, *, today: dt.date | None = None) -> dict[str, Any]:
    """Incremental retention of the treated against the control (overall and per offer)
    with a 95% confidence interval, value saved, spending and contact results. Outcomes
    are the recorded ones once the campaign is closed, the line status so far before."""
    through = outcome_through(campaign, today=today)
    closed = campaign.status == Campaign.Status.CLOSED
    rows = list(
        campaign.targets.select_related("line", "offer").only(
            "arm",
            "outcome",
            "remaining_value",
            "offer__code",
            "line__cancelled_on",
        )
    )
    by_offer: dict[str, dict[str, list[tuple[bool, Decimal]]]] = {}
    treated, control = [], []
    for target in rows:
        if closed and target.outcome:
            churned = target.outcome == CampaignTarget.Outcome.CHURNED
        else:
            churned = target_churned_on(target, campaign=campaign, through=through) is not None
        item = (churned, target.remaining_value)
        code = target.offer.code if target.offer is not None else ""
        arms = by_offer.setdefault(code, {"treated": [], "control": []})
        if target.arm == CampaignTarget.Arm.CONTROL:
            control.append(item)
            arms["control"].append(item)
        else:
            treated.append(item)
            arms["treated"].append(item)
    tasks = campaign.tasks.aggregate(
        contact_cost=Sum("contact_cost"),
        offer_cost=Sum("offer_cost"),
        attempts=Sum("attempts"),
    )
    statuses = dict(
        campaign.tasks.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    results = dict(
        OutreachAttempt.objects.filter(task__campaign=campaign)
        .values_list("result")
        .annotate(n=Count("id"))
        .values_list("result", "n")
    )
    contact_cost = _money(tasks["contact_cost"] or 0)
    offer_cost = _money(tasks["offer_cost"] or 0)
    spent = contact_cost + offer_cost
    overall = _comparison(treated, control)
    value_saved = overall["value_saved"]
    return {
        "campaign_id": campaign.pk,
        "status": campaign.status,
        "outcome_through": through,
        "final": closed,
        "overall": overall,
        "offers": {
            code: _comparison(arms["treated"], arms["control"])
            for code, arms in sorted(by_offer.items())
            if code
        },
        "budget": _money(campaign.budget),
        "reserved": _money(campaign.reserved_cost),
        "contact_cost": contact_cost,
        "offer_cost": offer_cost,
        "spent": spent,
        "net_value": None if value_saved is None else _money(value_saved - spent),
        "attempts": int(tasks["attempts"] or 0),
        "tasks": {status: int(statuses.get(status, 0)) for status in OutreachTask.Status.values},
        "results": {r: int(results.get(r, 0)) for r in OutreachAttempt.Result.values},
        "reached": OutreachAttempt.objects.filter(
            task__campaign=campaign,
            result__in=[
                OutreachAttempt.Result.REACHED,
                OutreachAttempt.Result.ACCEPTED,
                OutreachAttempt.Result.DECLINED,
            ],
        )
        .values("task")
        .distinct()
        .count(),
    }


def report_as_json(report: dict[str, Any]) -> dict[str, Any]:
    """The report with money as strings and dates as ISO text (to store or send)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    result: dict[str, Any] = plain(report)
    return result


def uplift_model_evaluate(
    *, model: str = "", campaign_ids: list[int] | None = None, progress: bool = False
) -> dict[str, Any]:
    """Held-out Qini and uplift at k of an uplift model on closed campaigns: those named,
    else every closed campaign the model did not learn from."""
    import tempfile

    from wanliu.scoring.campaigns.data import uplift_table
    from wanliu.scoring.engine.errors import EngineError
    from wanliu.scoring.engine.uplift import uplift_evaluate
    from wanliu.scoring.operator import operator_extract

    artefact = uplift_model_get(model or None)
    learned = set(artefact.manifest.get("campaigns") or [])
    campaigns = Campaign.objects.filter(status=Campaign.Status.CLOSED)
    if campaign_ids:
        campaigns = campaigns.filter(pk__in=campaign_ids)
    else:
        campaigns = campaigns.exclude(pk__in=learned)
    chosen = list(campaigns.order_by("starts_on", "pk"))
    if not chosen:
        raise EngineError(
            "no closed campaign to evaluate on: name campaigns with --campaigns (every closed "
            "campaign was used to train this model)"
        )
    rows = history_rows(campaigns=chosen)
    with tempfile.TemporaryDirectory(prefix="wanliu-uplift-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, progress=progress)
        table = uplift_table(tables, rows)
    result = uplift_evaluate(artefact.model, table, group="group")
    return {
        "model_version": artefact.version,
        "learner": artefact.model.learner_,
        "campaigns": [c.pk for c in chosen],
        "trained_on": sorted(learned),
        "overlap": sorted(learned & {c.pk for c in chosen}),
        **result,
    }


def customer_outreach(*, user: Any, customer_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """The proactive campaigns that called (or are to call) the customer, newest first,
    for the 360: so whoever faces the customer knows who called them and why. A task the
    reader may not work shows without its link."""
    tasks = list(
        OutreachTask.objects.filter(target__customer_id=customer_id)
        .select_related("campaign", "target__offer")
        .annotate(last_attempt_at=Max("attempt_rows__at"))
        .order_by("-created_at", "-id")[:limit]
    )
    visible = ids_within(outreach_tasks_visible_to(user), [t.pk for t in tasks])
    return [
        {
            "id": task.pk,
            "campaign": task.campaign.name,
            "offer": {
                "code": task.target.offer.code,
                "name": task.target.offer.name,
                "name_en": task.target.offer.name_en,
            }
            if task.target.offer
            else None,
            "status": task.status,
            "status_label": str(task.get_status_display()),
            "attempts": task.attempts,
            "created_at": task.created_at,
            "last_attempt_at": task.last_attempt_at,  # type: ignore[attr-defined]
            "url": reverse("scoring:outreach_task", args=[task.pk]) if task.pk in visible else None,
        }
        for task in tasks
    ]
