"""``wanliu import {customers,lines,bills,usage,contacts} FILE``: load a CSV or Parquet file.

The file formats are in docs/import-formats.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wanliu.customers.importing import KINDS, ImportFailed, ImportSummary, data_import_run
from wanliu.customers.importing.services import DEFAULT_CHUNK_ROWS


class Command(BaseCommand):
    help = (
        "Import customers, lines, bills, usage or contacts from a CSV (UTF-8) or Parquet file. "
        "Rows are matched by their natural key: importing the same file twice changes nothing. "
        "Formats: docs/import-formats.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=KINDS, help="what the file holds")
        parser.add_argument("file", type=Path, help="the .csv or .parquet file")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=("csv", "parquet"),
            help="read the file as this format whatever its name ends with",
        )
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="save the good rows and write the bad ones to a rejects file "
            "(default: any bad row means nothing is saved)",
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            help="where to write rejected rows with their reasons "
            "(default with --skip-bad-rows: NAME.rejects.csv beside the file)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count, but save nothing"
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--actor", help="username to record as the importer in the audit trail")
        parser.add_argument(
            "--chunk-rows",
            type=int,
            default=DEFAULT_CHUNK_ROWS,
            help=f"rows read and written at a time (default {DEFAULT_CHUNK_ROWS})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(_("no user is called {name}").format(name=options["actor"]))
        if options["chunk_rows"] < 1:
            raise CommandError(_("--chunk-rows must be at least 1"))
        try:
            summary = data_import_run(
                kind=options["kind"],
                path=options["file"],
                file_format=options["file_format"],
                skip_bad_rows=options["skip_bad_rows"],
                rejects_path=options["rejects"],
                dry_run=options["dry_run"],
                chunk_rows=options["chunk_rows"],
                progress=options["verbosity"] > 0 and not options["no_progress"],
                actor=actor,
            )
        except ImportFailed as failure:
            self._report(failure.summary, options, said_below=str(failure))
            raise CommandError(str(failure)) from None
        self._report(summary, options)

    def _report(
        self, summary: ImportSummary, options: dict[str, Any], said_below: str = ""
    ) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
            return
        for problem in summary.problems:
            if problem != said_below:  # a problem with the whole file is said once, by Django
                self.stderr.write(problem)
        if not summary.loaded and not summary.dry_run:
            if summary.rejects_file:
                self.stderr.write(
                    _("Rejected rows written to {path}").format(path=summary.rejects_file)
                )
            return
        self.stdout.write(
            _(
                "{kind}: created {created}, updated {updated}, unchanged {unchanged}, "
                "rejected {rejected} ({rows} rows of {file}, {seconds} s)"
            ).format(
                kind=summary.kind,
                created=summary.created,
                updated=summary.updated,
                unchanged=summary.unchanged,
                rejected=summary.rejected,
                rows=summary.rows,
                file=Path(summary.file).name,
                seconds=summary.seconds,
            )
        )
        for entity, created in summary.also_created.items():
            self.stdout.write(_("{kind}: created {created}").format(kind=entity, created=created))
        if summary.rejects_file:
            self.stdout.write(
                _("Rejected rows written to {path}").format(path=summary.rejects_file)
            )
        if summary.dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))
