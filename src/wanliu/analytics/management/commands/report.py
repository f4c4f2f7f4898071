"""``wanliu report monthly --month YYYY-MM --format html|xlsx|csv [--out FILE] [--unit ID]``
and ``wanliu report snapshot --month YYYY-MM [--to YYYY-MM]`` (build monthly snapshots)."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wanliu.analytics import exports
from wanliu.analytics.months import MonthError, add_months, month_start, parse_month, previous_month
from wanliu.analytics.review import review_build
from wanliu.analytics.snapshots import months_missing, snapshot_build
from wanliu.org.models import OrgUnit


class Command(BaseCommand):
    help = (
        "Build a supervision report (the monthly review) as HTML, XLSX or zipped CSV, or "
        "build the monthly snapshots the review reads."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=["monthly", "snapshot"])
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument(
            "--to", help="snapshot: the last month to build (YYYY-MM); default: --month only"
        )
        parser.add_argument("--format", dest="fmt", choices=["html", "xlsx", "csv"], default="html")
        parser.add_argument("--out", help="file to write (default: standard output)")
        parser.add_argument("--unit", type=int, help="organisation unit id (default: operator)")

    def _month(self, text: str, field: str) -> Any:
        try:
            month = parse_month(text, field=field)
        except MonthError as exc:
            raise CommandError(str(exc)) from exc
        today = timezone.localdate()
        if month > month_start(today):
            raise CommandError(
                f"{field} {month:%Y-%m} has not begun yet: use {today:%Y-%m} or an earlier month"
            )
        return month

    def handle(self, *args: Any, **options: Any) -> None:
        month = self._month(options["month"], "--month")
        if options["kind"] == "snapshot":
            last = self._month(options["to"], "--to") if options["to"] else month
            if last < month:
                raise CommandError("--to must not be before --month")
            months = []
            day = month
            while day <= last:
                months.append(day)
                day = add_months(day, 1)
            try:
                built = snapshot_build(months=months)
            except ValueError as exc:
                raise CommandError(f"--month/--to: {exc}") from exc
            for snapshot in built:
                self.stdout.write(f"{snapshot.month:%Y-%m}: ready ({snapshot.seconds} s)")
            return
        unit_path = None
        unit = None
        if options["unit"] is not None:
            unit = OrgUnit.objects.filter(pk=options["unit"]).first()
            if unit is None:
                raise CommandError(
                    f"--unit {options['unit']}: no such organisation unit (leave --unit out "
                    "for the whole operator)"
                )
            unit_path = unit.path
        missing = months_missing([previous_month(month), month])
        if missing:
            snapshot_build(months=missing)
        review = review_build(month=month, unit_path=unit_path)
        fmt = options["fmt"]
        if fmt == "html":
            where = unit.name if unit else "Whole operator"
            data = exports.review_to_html(
                review, title=f"Monthly review {month:%Y-%m} · {where}"
            ).encode()
        elif fmt == "xlsx":
            data = exports.review_to_xlsx(review)
        else:
            data = exports.review_to_csv_zip(review.tables)
        if options["out"]:
            with open(options["out"], "wb") as handle:
                handle.write(data)
        elif fmt == "html":
            self.stdout.write(data.decode())
        else:
            sys.stdout.buffer.write(data)
