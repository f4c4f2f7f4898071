"""``wanliu retention compare``: the cost comparison (比算) from the command line.

Example (the worked example of the domain brief)::

    wanliu retention compare --current-monthly 129 --offer-discount-pct 30 --offer-months 12 \\
        --competitor-promo-monthly 59 --competitor-promo-months 12 --competitor-monthly 118 \\
        --switching-cost 0 --horizon-months 24 --json

prints one JSON object: ``stay_total``, ``offer_total``, ``competitor_total`` (yuan strings
with two decimals), ``monthly`` (the stay / offer / competitor series), ``cumulative``,
``break_even_month``, the explanations ``explanation_zh`` / ``explanation_en`` and more.

``wanliu retention history --seed 7 [--as-of 2026-11-23]`` writes past cancellation requests
for a database filled by ``wanliu generate`` (demo data, see ``wanliu.retention.generator``).

``wanliu retention scan`` flags refusals and expires approvals once (what the worker's
periodic jobs do every few minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wanliu.retention.comparison import (
    Comparison,
    ComparisonError,
    CompetitorOffer,
    OfferTerms,
    SwitchingCosts,
    comparison_compute,
)

# Engine field → the flag that feeds it, so errors name what the user typed.
FLAG_OF_FIELD = {
    "current_monthly": "--current-monthly",
    "horizon_months": "--horizon-months",
    "offers[0].discount_pct": "--offer-discount-pct",
    "offers[0].amount_off": "--offer-amount-off",
    "offers[0].months": "--offer-months",
    "offers[0].free_months": "--offer-free-months",
    "offers[0].bonus_data_gb": "--offer-bonus-data-gb",
    "competitor.promo_monthly": "--competitor-promo-monthly",
    "competitor.promo_months": "--competitor-promo-months",
    "competitor.regular_monthly": "--competitor-monthly",
    "competitor.bundle_breakup_monthly": "--bundle-breakup-monthly",
    "competitor.switching.installation": "--installation-fee",
    "competitor.switching.device_and_sim": "--device-cost",
    "competitor.switching.early_termination": "--early-termination-fee",
    "competitor.switching.lost_loyalty_points": "--lost-points-value",
    "competitor.switching.other": "--switching-cost",
}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-23: {text!r}") from None


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


class Command(BaseCommand):
    help = (
        "Retention desk tools. `retention compare`: the cost comparison (比算); "
        "`retention history`: demo cancellation requests; `retention scan`: flag refusals."
    )
    requires_system_checks: list[str] = []  # compare is a pure calculation: no database

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        compare = actions.add_parser(
            "compare",
            help="Compare staying, a retention offer and a competitor's offer month by month",
            description=(
                "Each month's amount is rounded to the fen with ROUND_HALF_UP; totals are "
                "exact sums. The offer starts in month 1 and lasts --offer-months, then the "
                "current fee applies again. One-off switching costs count in month 1."
            ),
        )
        money = {"type": _decimal, "metavar": "YUAN"}
        months = {"type": int, "metavar": "N"}
        compare.add_argument(
            "--current-monthly", required=True, help="what the customer pays now", **money
        )
        compare.add_argument(
            "--horizon-months", default=24, help="months compared (1-120, default 24)", **months
        )

        offer = compare.add_argument_group("retention offer (given when any of its terms is)")
        offer.add_argument(
            "--offer-discount-pct", type=_decimal, metavar="PCT", help="percent off (0-100)"
        )
        offer.add_argument("--offer-amount-off", help="yuan off each month", **money)
        offer.add_argument("--offer-months", default=0, help="months the discount lasts", **months)
        offer.add_argument("--offer-free-months", help="free months from month 1", **months)
        offer.add_argument(
            "--offer-bonus-data-gb", type=_decimal, metavar="GB", help="bonus data (no cost effect)"
        )
        offer.add_argument("--offer-name", default="", help="label shown for the offer")

        rival = compare.add_argument_group("competitor")
        rival.add_argument("--competitor", default="", dest="operator", help="competitor's name")
        rival.add_argument("--competitor-promo-monthly", help="promotional monthly price", **money)
        rival.add_argument(
            "--competitor-promo-months", default=0, help="promotion length", **months
        )
        rival.add_argument(
            "--competitor-monthly", required=True, help="regular price after the promotion", **money
        )
        rival.add_argument(
            "--bundle-breakup-monthly",
            default=Decimal(0),
            help="monthly cost of bundle lines that must move too",
            **money,
        )
        rival.add_argument(
            "--switching-cost", default=Decimal(0), help="other one-off switching cost", **money
        )
        rival.add_argument(
            "--installation-fee", default=Decimal(0), help="installation at the competitor", **money
        )
        rival.add_argument("--device-cost", default=Decimal(0), help="new device / SIM", **money)
        rival.add_argument(
            "--early-termination-fee", default=Decimal(0), help="our early-termination fee", **money
        )
        rival.add_argument(
            "--lost-points-value", default=Decimal(0), help="value of loyalty points lost", **money
        )

        compare.add_argument("--json", action="store_true", help="print one JSON object")

        history = actions.add_parser(
            "history",
            help="Write past cancellation requests for the generated operator (demo data)",
            description=(
                "Reads the cancellation contacts, churned lines and promotions written by "
                "`wanliu generate` and writes requests with their steps, offers, approvals, "
                "refusals and transfers. Deterministic for a seed; runs once per database."
            ),
        )
        history.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        history.add_argument(
            "--as-of",
            dest="as_of",
            type=_date,
            default=None,
            help="the day the data is as of (YYYY-MM-DD; default today, Asia/Shanghai)",
        )
        history.add_argument("--no-progress", action="store_true", help="no progress bar")
        actions.add_parser(
            "scan", help="Flag refusals (拒拆) and expire level-2 approvals past their time, once"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "compare":
            self._compare(options)
        elif options["action"] == "history":
            self._history(options)
        elif options["action"] == "scan":
            self._scan()

    def _history(self, o: dict[str, Any]) -> None:
        from wanliu.retention.generator import RetentionHistoryExists, retention_history_generate

        as_of = o["as_of"] or timezone.localdate()
        try:
            report = retention_history_generate(
                seed=o["seed"], as_of=as_of, progress=not o["no_progress"]
            )
        except RetentionHistoryExists as exc:
            raise CommandError(str(exc)) from exc
        requests = report.get("retention.cancellationrequest", 0)
        self.stdout.write(
            f"Generated {requests:,} past cancellation requests (seed {o['seed']}, as of {as_of})."
        )
        for label, count in report.items():
            self.stdout.write(f"  {label:<36} {count:>10,}")

    def _scan(self) -> None:
        from wanliu.retention.services import offer_approvals_expire, refusals_flag

        flagged = refusals_flag()
        expired = offer_approvals_expire()
        self.stdout.write(f"Flagged {flagged} refusal(s); expired {expired} approval(s).")

    def _compare(self, o: dict[str, Any]) -> None:
        promo_monthly = o["competitor_promo_monthly"]
        if promo_monthly is None:
            if o["competitor_promo_months"]:
                raise CommandError(
                    "--competitor-promo-monthly: required when --competitor-promo-months is given"
                )
            promo_monthly = o["competitor_monthly"]
        offer_given = any(
            o[key] is not None
            for key in (
                "offer_discount_pct",
                "offer_amount_off",
                "offer_free_months",
                "offer_bonus_data_gb",
            )
        )
        if not offer_given and o["offer_months"]:
            raise CommandError(
                "--offer-months: give --offer-discount-pct or --offer-amount-off too"
            )
        offers = []
        if offer_given:
            offers.append(
                OfferTerms(
                    name=o["offer_name"],
                    discount_pct=o["offer_discount_pct"] or Decimal(0),
                    amount_off=o["offer_amount_off"] or Decimal(0),
                    months=o["offer_months"],
                    free_months=o["offer_free_months"] or 0,
                    bonus_data_gb=o["offer_bonus_data_gb"] or Decimal(0),
                )
            )
        try:
            comparison = comparison_compute(
                current_monthly=o["current_monthly"],
                horizon_months=o["horizon_months"],
                competitor=CompetitorOffer(
                    operator=o["operator"],
                    promo_monthly=promo_monthly,
                    promo_months=o["competitor_promo_months"],
                    regular_monthly=o["competitor_monthly"],
                    bundle_breakup_monthly=o["bundle_breakup_monthly"],
                    switching=SwitchingCosts(
                        installation=o["installation_fee"],
                        device_and_sim=o["device_cost"],
                        early_termination=o["early_termination_fee"],
                        lost_loyalty_points=o["lost_points_value"],
                        other=o["switching_cost"],
                    ),
                ),
                offers=offers,
            )
        except ComparisonError as exc:
            raise CommandError(f"{FLAG_OF_FIELD.get(exc.field, exc.field)}: {exc.message}") from exc
        if o["json"]:
            self.stdout.write(json.dumps(comparison.as_dict(), ensure_ascii=False))
        else:
            self._print_table(comparison)

    def _print_table(self, c: Comparison) -> None:
        best = c.best_offer
        self.stdout.write(f"{'month':>5} {'stay':>10} {'offer':>10} {'competitor':>11}")
        for i in range(c.horizon_months):
            offer = f"{best.monthly[i]:>10}" if best else f"{'-':>10}"
            self.stdout.write(
                f"{i + 1:>5} {c.stay_monthly[i]:>10} {offer} {c.competitor_monthly[i]:>11}"
            )
        offer_total = f"{best.total:>10}" if best else f"{'-':>10}"
        self.stdout.write(f"{'total':>5} {c.stay_total:>10} {offer_total} {c.competitor_total:>11}")
        self.stdout.write(f"break-even month: {c.break_even_month or '-'}")
        self.stdout.write("")
        self.stdout.write(c.explanation_zh)
        self.stdout.write(c.explanation_en)
