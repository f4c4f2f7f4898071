"""``wanliu report monthly --month YYYY-MM --format html|xlsx|csv [--out FILE] [--unit ID]``."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wanliu.analytics import figures, review
from wanliu.org.models import OrgUnit


class Command(BaseCommand):
    help = "Build a supervision report (the monthly review) as HTML, XLSX or zipped CSV."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=["monthly"])
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--format", dest="fmt", choices=["html", "xlsx", "csv"], default="html")
        parser.add_argument("--out", help="file to write (default: standard output)")
        parser.add_argument("--unit", type=int, help="organisation unit id (default: operator)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = figures.parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(f"--month must be YYYY-MM: {exc}") from exc
        unit_path = None
        if options["unit"] is not None:
            unit = OrgUnit.objects.filter(pk=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no organisation unit {options['unit']}")
            unit_path = unit.path
        tables = review.monthly_review(month=month, unit_path=unit_path)
        fmt = options["fmt"]
        if fmt == "html":
            data = review.review_to_html(tables, title=f"Monthly review {month:%Y-%m}").encode()
        elif fmt == "xlsx":
            data = review.review_to_xlsx(tables)
        else:
            data = review.review_to_csv_zip(tables)
        if options["out"]:
            with open(options["out"], "wb") as handle:
                handle.write(data)
        elif fmt == "html":
            self.stdout.write(data.decode())
        else:
            sys.stdout.buffer.write(data)
