"""Pages of proactive retention campaigns: the analyst's campaigns (create, target, launch,
close, the report) and the agents' outreach tasks (call, record the attempt).

Views parse the input, fetch the scoped object, call one service and render; refusals of
the services are shown as messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wanliu.org.models import OrgUnit
from wanliu.org.scoping import scope_for
from wanliu.retention.models import RetentionOffer
from wanliu.retention.selectors import retention_policy_current
from wanliu.scoring.campaigns.access import (
    campaign_get_for,
    can_manage_campaigns,
    can_view_campaigns,
    can_work_outreach,
    can_work_task,
    outreach_task_get_for,
)
from wanliu.scoring.campaigns.errors import CampaignError
from wanliu.scoring.campaigns.selectors import (
    campaign_list,
    campaign_report,
    campaign_targets,
    outreach_attempts,
    outreach_task_list,
    uplift_models_list,
)
from wanliu.scoring.campaigns.services import (
    campaign_close,
    campaign_create,
    campaign_launch,
    campaign_targeting_request,
    campaign_targets_discard,
    outreach_attempt_record,
)
from wanliu.scoring.models import Campaign, CampaignTarget, OutreachAttempt, OutreachTask


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Campaign name"), max_length=120)
    offers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Offers"),
        queryset=RetentionOffer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Area"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("the whole operator"),
    )
    budget = forms.DecimalField(
        label=gettext_lazy("Budget (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    control_share = forms.DecimalField(
        label=gettext_lazy("Control group share"),
        initial=Decimal("0.10"),
        min_value=Decimal("0.01"),
        max_value=Decimal("0.5"),
        decimal_places=3,
    )
    contact_cost = forms.DecimalField(
        label=gettext_lazy("Cost per contact attempt (yuan)"),
        initial=Decimal("2.00"),
        min_value=Decimal("0"),
        max_digits=8,
        decimal_places=2,
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(label=gettext_lazy("Who calls"), choices=Campaign.Channel.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offers = self.fields["offers"]
        assert isinstance(offers, forms.ModelMultipleChoiceField)
        offers.queryset = RetentionOffer.objects.filter(active=True).order_by("level", "code")
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        scope = scope_for(user)
        units = OrgUnit.objects.filter(
            kind__in=[OrgUnit.Kind.CITY_COMPANY, OrgUnit.Kind.BRANCH, OrgUnit.Kind.GRID]
        )
        if not scope.everything:
            units = (
                units.filter(path__startswith=scope.unit_path) if scope.unit_path else units.none()
            )
            unit.required = True
        unit.queryset = units.order_by("path")


class AttemptForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=OutreachAttempt.Result.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


def _first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    """The campaigns in the user's scope, the uplift models, and (for managers) a new one."""
    if not can_view_campaigns(request.user):
        raise PermissionDenied
    manager = can_manage_campaigns(request.user)
    form = None
    if manager:
        today = timezone.localdate()
        form = CampaignForm(
            request.POST or None,
            user=request.user,
            initial={"starts_on": today, "ends_on": today + dt.timedelta(days=30)},
        )
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    campaign = campaign_create(
                        actor=request.user,
                        name=data["name"],
                        offers=list(data["offers"]),
                        budget=data["budget"],
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        unit=data["unit"],
                        control_share=data["control_share"],
                        contact_cost=data["contact_cost"],
                        channel=data["channel"],
                    )
                except CampaignError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("Campaign created as a draft."))
                    return redirect("scoring:campaign", campaign_id=campaign.pk)
            else:
                messages.error(request, _first_error(form))
    elif request.method == "POST":
        raise PermissionDenied
    status = request.GET.get("status", "")
    paginator = Paginator(campaign_list(user=request.user, status=status), 20)
    return render(
        request,
        "scoring/campaigns.html",
        {
            "page": paginator.get_page(request.GET.get("page")),
            "status": status,
            "statuses": Campaign.Status.choices,
            "form": form,
            "manager": manager,
            "models": [m.as_dict() for m in uplift_models_list()[:5]],
        },
    )


@login_required
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    found = campaign_get_for(request.user, campaign_id)
    arm = request.GET.get("arm", "")
    if arm not in ("", *CampaignTarget.Arm.values):
        arm = ""
    paginator = Paginator(campaign_targets(campaign=found, arm=arm), 50)
    report = campaign_report(found) if found.status != Campaign.Status.DRAFT else None
    return render(
        request,
        "scoring/campaign.html",
        {
            "campaign": found,
            "offers": found.offers.order_by("code"),
            "report": report,
            "page": paginator.get_page(request.GET.get("page")),
            "arm": arm,
            "manager": can_manage_campaigns(request.user),
            "queued": found.status == Campaign.Status.DRAFT
            and found.targeting_requested_at is not None
            and not found.targeting_error,
        },
    )


ACTIONS = {
    "target": lambda campaign, actor: campaign_targeting_request(campaign=campaign, actor=actor),
    "discard": lambda campaign, actor: campaign_targets_discard(campaign=campaign, actor=actor),
    "launch": lambda campaign, actor: campaign_launch(campaign=campaign, actor=actor),
    "close": lambda campaign, actor: campaign_close(campaign=campaign, actor=actor),
}
DONE = {
    "target": gettext_lazy("Targeting queued: the worker chooses the targets."),
    "discard": gettext_lazy("Targets discarded: the campaign is a draft again."),
    "launch": gettext_lazy("Campaign launched: outreach tasks created."),
    "close": gettext_lazy("Campaign closed: outcomes recorded."),
}


@login_required
@require_POST
def campaign_action(request: HttpRequest, campaign_id: int, action: str) -> HttpResponse:
    found = campaign_get_for(request.user, campaign_id)
    if action not in ACTIONS:
        raise Http404("no such action")
    if not can_manage_campaigns(request.user):
        raise PermissionDenied
    try:
        ACTIONS[action](found, request.user)
    except CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(DONE[action]))
    return redirect("scoring:campaign", campaign_id=found.pk)


@login_required
@require_POST
def uplift_train(request: HttpRequest) -> HttpResponse:
    """Queue learning the uplift model from every closed campaign (the worker does it)."""
    from django.db import transaction

    from wanliu.scoring.campaigns.tasks import uplift_train_task

    if not can_manage_campaigns(request.user):
        raise PermissionDenied
    actor_id = request.user.pk
    transaction.on_commit(lambda: uplift_train_task.enqueue(actor_id))
    messages.success(request, _("Training queued: the worker learns uplift from closed campaigns."))
    return redirect("scoring:campaigns")


@login_required
def outreach(request: HttpRequest) -> HttpResponse:
    """The user's outreach tasks (hotline agents: the hotline queue; grid teams: theirs)."""
    if not (can_work_outreach(request.user) or can_view_campaigns(request.user)):
        raise PermissionDenied
    status = request.GET.get("status", OutreachTask.Status.OPEN)
    if status not in ("", *OutreachTask.Status.values):
        status = OutreachTask.Status.OPEN
    tasks = outreach_task_list(user=request.user, status=status)
    q = request.GET.get("q", "").strip()
    if q:
        tasks = tasks.filter(Q(target__customer__name__icontains=q) | Q(target__line__number=q))
    paginator = Paginator(tasks, 25)
    policy = retention_policy_current()
    now_local = timezone.localtime()
    return render(
        request,
        "scoring/outreach.html",
        {
            "page": paginator.get_page(request.GET.get("page")),
            "status": status,
            "statuses": OutreachTask.Status.choices,
            "q": q,
            "quiet_now": policy.in_quiet_hours(now_local.time().replace(tzinfo=None)),
            "policy": policy,
        },
    )


@login_required
def outreach_task(request: HttpRequest, task_id: int) -> HttpResponse:
    task = outreach_task_get_for(request.user, task_id)
    can_work = can_work_task(request.user, task)
    form = AttemptForm(request.POST or None)
    if request.method == "POST":
        if not can_work:
            raise PermissionDenied
        if form.is_valid():
            try:
                outreach_attempt_record(
                    task=task,
                    actor=request.user,
                    result=form.cleaned_data["result"],
                    note=form.cleaned_data["note"],
                )
            except CampaignError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Attempt recorded."))
                return redirect("scoring:outreach_task", task_id=task.pk)
        else:
            messages.error(request, _first_error(form))
    policy = retention_policy_current()
    return render(
        request,
        "scoring/outreach_task.html",
        {
            "task": task,
            "target": task.target,
            "attempts": outreach_attempts(task=task),
            "form": form,
            "can_work": can_work
            and task.status == OutreachTask.Status.OPEN
            and task.campaign.status == Campaign.Status.RUNNING,
            "policy": policy,
        },
    )
