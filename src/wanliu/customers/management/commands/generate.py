"""``wanliu generate --lines N --months M --seed S [--as-of YYYY-MM-DD]``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from wanliu.customers.generator.services import OperatorDataExists, operator_generate


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date like 2025-06-30, not {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Fill an empty database with a generated operator: regions, branches, grids, "
        "stores and staff; plans and bundles; customers with lines, bills, usage and "
        "contacts; competitor promotions; churn with its known drivers. Deterministic "
        "for a seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lines", type=int, default=20_000, help="lines to generate")
        parser.add_argument(
            "--months", type=int, default=12, help="months of history (bills, usage)"
        )
        parser.add_argument("--seed", type=int, default=7, help="random seed")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            help="the day the data is as of (YYYY-MM-DD; default today in Asia/Shanghai); "
            "history ends with the last whole month before it",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="do not show the progress bar"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of_option = options["as_of"]
        if isinstance(as_of_option, dt.date):
            as_of = as_of_option
        elif as_of_option:
            as_of = _date(str(as_of_option))
        else:
            as_of = timezone.localdate()
        try:
            report = operator_generate(
                lines=options["lines"],
                months=options["months"],
                seed=options["seed"],
                as_of=as_of,
                progress=not options["no_progress"],
            )
        except (OperatorDataExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        first, last = report.months[0], report.months[-1]
        self.stdout.write(
            f"Generated an operator (seed {report.seed}, as of {report.as_of}): "
            f"{report.lines:,} lines, {first:%Y-%m} to {last:%Y-%m}, "
            f"{report.churned_lines:,} lines churned, in {report.seconds:.1f} s."
        )
        for label, count in report.rows.items():
            self.stdout.write(f"  {label:<32} {count:>12,}")
