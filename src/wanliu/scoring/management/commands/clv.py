"""``wanliu clv sbg``: fit the shifted-beta-geometric retention model to one cohort;
``wanliu clv segments``: the per-segment fits of the monthly scoring.

    wanliu clv sbg --survivors 1000,631,468,382,326,289,262,241 --forecast 5 --json

prints ``alpha``, ``beta``, ``fitted`` (survivors for the input periods) and ``forecast``
(survivors for the next K periods), both on the scale of the input counts, and the
expected remaining lifetime and discounted expected residual lifetime (DERL) of a customer
still active after the last period; with ``--margin`` also the discounted expected
residual value (margin x DERL, money as a decimal string).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.sbg import residual_value, sbg_fit
from wanliu.scoring.operator import month_start
from wanliu.scoring.selectors import lifetime_value_segments

DIGITS = 6


def _counts(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(_("survivors must be numbers separated by commas")) from exc


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise CommandError(_("the margin must be a decimal amount, e.g. 35.50")) from exc
    if not value.is_finite():
        raise CommandError(_("the margin must be a decimal amount, e.g. 35.50"))
    return value


class Command(BaseCommand):
    help = "Customer lifetime value: the sBG retention model for one cohort."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sbg = actions.add_parser("sbg", help="fit sBG to a cohort's survivor counts")
        sbg.add_argument(
            "--survivors",
            required=True,
            type=_counts,
            help="cohort size then survivors per period, comma-separated",
        )
        sbg.add_argument("--forecast", type=int, default=0, help="periods to project")
        sbg.add_argument(
            "--discount",
            type=float,
            default=0.10,
            help="discount rate per period for DERL (default 0.10)",
        )
        sbg.add_argument(
            "--margin", type=_money, default=None, help="margin per period, for the residual value"
        )
        sbg.add_argument("--json", action="store_true")

        segments = actions.add_parser(
            "segments", help="the per-segment fits of a month's scoring, with their forecasts"
        )
        segments.add_argument("--as-of", default=None, help="month, YYYY-MM (default: newest)")
        segments.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "segments":
            self._segments(options)
            return
        if options["forecast"] < 0:
            raise CommandError(_("--forecast must be 0 or more"))
        try:
            fit = sbg_fit(options["survivors"])
            renewals = fit.periods
            derl = fit.derl(discount=options["discount"], renewals=renewals)
        except EngineError as exc:
            raise CommandError(str(exc)) from exc
        remaining = fit.expected_remaining_lifetime(renewals)
        data: dict[str, Any] = {
            "alpha": round(fit.alpha, DIGITS),
            "beta": round(fit.beta, DIGITS),
            "log_likelihood": round(fit.log_likelihood, DIGITS),
            "fitted": [round(v, DIGITS) for v in fit.fitted()],
            "forecast": [round(v, DIGITS) for v in fit.forecast(options["forecast"])],
            "retention_rates": [
                round(float(v), DIGITS) for v in fit.retention_rates(renewals + options["forecast"])
            ],
            "renewals": renewals,
            "discount": options["discount"],
            "expected_remaining_lifetime": round(remaining, DIGITS)
            if remaining is not None
            else None,
            "derl": round(derl, DIGITS),
        }
        if options["margin"] is not None:
            data["margin"] = str(options["margin"])
            data["residual_value"] = str(residual_value(margin=options["margin"], derl=derl))
        if options["json"]:
            self.stdout.write(json.dumps(data, sort_keys=True))
            return
        self.stdout.write(f"alpha={data['alpha']} beta={data['beta']} LL={data['log_likelihood']}")
        self.stdout.write(_("fitted: %s") % ", ".join(f"{v:.1f}" for v in data["fitted"]))
        if data["forecast"]:
            self.stdout.write(_("forecast: %s") % ", ".join(f"{v:.1f}" for v in data["forecast"]))
        self.stdout.write(
            _("DERL after %(renewals)d renewals at %(discount)s: %(derl).4f periods")
            % {"renewals": renewals, "discount": options["discount"], "derl": derl}
        )
        if remaining is None:
            self.stdout.write(_("expected remaining lifetime: unbounded (alpha <= 1)"))
        else:
            self.stdout.write(_("expected remaining lifetime: %.2f periods") % remaining)
        if "residual_value" in data:
            self.stdout.write(_("discounted expected residual value: %s") % data["residual_value"])

    def _segments(self, options: dict[str, Any]) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = month_start(options["as_of"])
            except ValueError as exc:
                raise CommandError(_("--as-of: %(error)s") % {"error": exc}) from exc
        month, rows = lifetime_value_segments(as_of=as_of)
        if month is None or not rows:
            raise CommandError(
                _("no lifetime-value fits yet: run `wanliu churn score-operator` first")
            )
        if options["json"]:
            payload = {"as_of": f"{month:%Y-%m}", "segments": rows}
            self.stdout.write(json.dumps(payload, sort_keys=True, ensure_ascii=False))
            return
        self.stdout.write(_("lifetime-value fits of %(month)s") % {"month": f"{month:%Y-%m}"})
        for row in rows:
            self.stdout.write(
                "{plan_family}/{value_tier}/{cohort}: alpha={alpha} beta={beta} lines={lines} "
                "S(12)={survival_12} S(36)={survival_36} E[T]={expected_lifetime_months} "
                "discounted months={discounted_months}".format(**row)
            )
