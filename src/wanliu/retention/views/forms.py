"""Forms of the retention desk pages: they parse and type the inputs; the services decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from wanliu.retention.comparison import MAX_HORIZON_MONTHS, MAX_MONEY
from wanliu.retention.models import (
    OUTCOME_STATUSES,
    Mood,
    Reason,
    RequestKind,
    RetentionContact,
    ServiceIssue,
    Status,
    Target,
    WinBackEntry,
)
from wanliu.retention.services.care import ContactPlan

SHANGHAI = ZoneInfo("Asia/Shanghai")


class DeskForm(forms.Form):
    """A form of the desk page: its field ids carry the form's name (several forms share
    field names on one page)."""

    id_prefix = "desk"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _money(label: Any, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=MAX_MONEY,
        decimal_places=2,
        max_digits=9,
    )


class OpenForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("The customer wants to"), choices=RequestKind.choices)
    target = forms.CharField(label=_("What is to go"))
    stated_complaint = forms.CharField(
        label=_("What the customer says"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def target_parts(self) -> tuple[str, int]:
        """``subscription:12`` → ("subscription", 12)."""
        kind, _sep, pk = self.cleaned_data["target"].partition(":")
        if kind not in Target.values or not pk.isdigit():
            raise forms.ValidationError(_("Choose what is to go."))
        return kind, int(pk)


class CalmForm(DeskForm):
    id_prefix = "calm"

    stated_complaint = forms.CharField(
        label=_("What the customer says (their complaint)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    mood = forms.ChoiceField(label=_("Mood"), choices=Mood.choices, widget=forms.RadioSelect)


class ConsumptionForm(DeskForm):
    id_prefix = "consumption"

    reviewed_with_customer = forms.BooleanField(
        label=_("I went through tenure, bundle, bills and use with the customer")
    )


class ReasonForm(DeskForm):
    id_prefix = "reason"

    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    service_issue = forms.ChoiceField(
        label=_("Service issue"),
        choices=[("", "—"), *ServiceIssue.choices],
        required=False,
    )
    pain_point = forms.CharField(
        label=_("Pain point"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    competitor_operator = forms.CharField(label=_("Competitor"), required=False, max_length=60)
    competitor_promo_monthly = _money(_("Promotional price (yuan/month)"))
    competitor_promo_months = forms.IntegerField(
        label=_("Promotion months"), required=False, min_value=0, max_value=MAX_HORIZON_MONTHS
    )
    competitor_regular_monthly = _money(_("Regular price after it (yuan/month)"))
    competitor_conditions = forms.CharField(label=_("Conditions"), required=False, max_length=200)
    competitor_switchers_only = forms.BooleanField(label=_("New switchers only"), required=False)
    competitor_promotion = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CompareForm(DeskForm):
    id_prefix = "compare"

    horizon_months = forms.IntegerField(
        label=_("Months compared"), min_value=1, max_value=MAX_HORIZON_MONTHS
    )
    offers = forms.MultipleChoiceField(label=_("Offers compared"), required=False)
    words_used = forms.CharField(
        label=_("What you told the customer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
    bill_explained = forms.BooleanField(label=_("Bill explained item by item"), required=False)

    def __init__(self, *args: Any, offer_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offers"].choices = offer_choices  # type: ignore[attr-defined]


class GrantForm(DeskForm):
    id_prefix = "grant"

    offer = forms.CharField()
    note = forms.CharField(required=False, max_length=300)


class OutcomeForm(DeskForm):
    id_prefix = "outcome"

    outcome = forms.ChoiceField(
        choices=[(s.value, s.label) for s in Status if s.value in OUTCOME_STATUSES]
    )
    grant = forms.IntegerField(required=False)
    new_plan = forms.CharField(required=False)
    note = forms.CharField(required=False, max_length=1000)


class InsistForm(DeskForm):
    id_prefix = "insist"

    to_store = forms.IntegerField(required=False)
    note = forms.CharField(required=False, max_length=500)


class TransferForm(DeskForm):
    id_prefix = "transfer"

    to_store = forms.IntegerField(label=_("To store"))
    reason = forms.CharField(label=_("Why"), max_length=200)


class FastLaneForm(DeskForm):
    id_prefix = "fastlane"

    issue = forms.ChoiceField(label=_("Problem"), choices=ServiceIssue.choices)
    description = forms.CharField(
        label=_("Describe it for the fast lane"), widget=forms.Textarea(attrs={"rows": 2})
    )


class FastLaneResolveForm(DeskForm):
    id_prefix = "fastlaneresolve"

    ticket = forms.IntegerField()
    resolution = forms.CharField(label=_("How it was fixed"), max_length=2000)


class CareForm(DeskForm):
    id_prefix = "care"

    channel = forms.ChoiceField(
        label=_("Contact by"), choices=RetentionContact.ContactChannel.choices, required=False
    )
    due_on = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    due_time = forms.TimeField(
        label=_("Time"),
        required=False,
        initial=dt.time(10, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    note = forms.CharField(label=_("What to do"), required=False, max_length=300)
    declined_note = forms.CharField(label=_("No follow-up because"), required=False, max_length=500)

    def contacts(self) -> list[ContactPlan]:
        d = self.cleaned_data
        if not d.get("channel") or not d.get("due_on"):
            return []
        due = dt.datetime.combine(d["due_on"], d.get("due_time") or dt.time(10, 0), tzinfo=SHANGHAI)
        return [ContactPlan(channel=d["channel"], due_at=due, note=d.get("note") or "")]


class PartWellForm(DeskForm):
    id_prefix = "partwell"

    allowed_recontact_on = forms.DateField(
        label=_("May contact again from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    contact_channel = forms.CharField(
        label=_("How the customer likes to be reached"), required=False, max_length=100
    )
    farewell_note = forms.CharField(
        label=_("Parting words"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ContactForm(DeskForm):
    id_prefix = "contact"

    channel = forms.ChoiceField(
        label=_("Contact by"), choices=RetentionContact.ContactChannel.choices
    )
    due_on = forms.DateField(
        label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    due_time = forms.TimeField(
        label=_("Time"),
        initial=dt.time(10, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    note = forms.CharField(label=_("What to do"), required=False, max_length=300)

    def due_at(self) -> dt.datetime:
        d = self.cleaned_data
        return dt.datetime.combine(d["due_on"], d["due_time"], tzinfo=SHANGHAI)


class ContactDoneForm(DeskForm):
    id_prefix = "contactdone"

    contact = forms.IntegerField()
    status = forms.ChoiceField(
        label=_("How it went"),
        choices=[
            (RetentionContact.Status.DONE, RetentionContact.Status.DONE.label),
            (RetentionContact.Status.NO_ANSWER, RetentionContact.Status.NO_ANSWER.label),
            (RetentionContact.Status.CANCELLED, RetentionContact.Status.CANCELLED.label),
        ],
    )
    result = forms.CharField(label=_("What the customer said"), required=False, max_length=2000)


class WinBackOutcomeForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (WinBackEntry.Status.WON_BACK, WinBackEntry.Status.WON_BACK.label),
            (WinBackEntry.Status.DECLINED, WinBackEntry.Status.DECLINED.label),
        ]
    )
    note = forms.CharField(max_length=2000)


class PublishForm(DeskForm):
    id_prefix = "publish"

    title = forms.CharField(label=_("Case title"), max_length=200)


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=300)


def first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return ""
