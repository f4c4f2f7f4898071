"""``wanliu demo``: migrate, generate an operator once, create demo logins, serve + worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wanliu.core.demo import DEMO_PASSWORD, DemoDataMissing, demo_logins_ensure
from wanliu.customers.models import Customer
from wanliu.retention.generator import retention_history_generate
from wanliu.scoring.campaigns.errors import CampaignError
from wanliu.scoring.campaigns.selectors import uplift_models_list
from wanliu.scoring.campaigns.services import uplift_model_train
from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.models import Campaign, ScoringRun
from wanliu.scoring.selectors import churn_model_promoted_path
from wanliu.scoring.services.runs import scoring_run_execute, scoring_run_request
from wanliu.scoring.services.training import operator_train


class Command(BaseCommand):
    help = "Run the demo: a generated operator, one login per role, web app and worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--lines", type=int, default=20000)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--train-months", type=int, default=3, help="months of history the churn model sees"
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare the data and logins, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if Customer.objects.exists():
            self.stdout.write("Reusing the operator already in the database.")
        else:
            self._generate(options)
        self._models(options)
        try:
            logins = demo_logins_ensure()
        except DemoDataMissing as exc:
            raise CommandError(str(exc)) from exc
        self._print_logins(logins, options)
        if options["no_serve"]:
            return
        self._serve_with_worker(options)

    def _generate(self, options: dict[str, Any]) -> None:
        """A whole operator: customers and usage first, then each desk's history."""
        as_of = timezone.localdate()
        seed = options["seed"]
        self.stdout.write(
            f"Generating an operator: {options['lines']} lines x {options['months']} months..."
        )
        call_command(
            "generate", lines=options["lines"], months=options["months"], seed=seed, as_of=as_of
        )
        self.stdout.write("Generating past cancellation requests (retention desk)...")
        counts = retention_history_generate(seed=seed, as_of=as_of)
        self.stdout.write(
            f"  {counts.get('retention.cancellationrequest', 0):,} cancellation requests"
        )
        from wanliu.complaints.generator import complaints_history_generate

        self.stdout.write("Generating past work orders (complaints)...")
        complaints = complaints_history_generate(seed=seed, as_of=as_of)
        self.stdout.write(f"  {complaints.get('complaints.workorder', 0):,} work orders")
        from wanliu.scoring.campaign_generator import campaign_history_generate

        self.stdout.write("Generating past proactive campaigns (treated and control groups)...")
        past = campaign_history_generate(seed=seed, as_of=as_of)
        self.stdout.write(
            f"  {past.get('campaigns', 0)} campaigns, {past.get('targets', 0):,} targets"
        )

    def _models(self, options: dict[str, Any]) -> None:
        """Train the churn model on the operator once, then score this month once."""
        if churn_model_promoted_path() is None:
            self.stdout.write(
                f"Training the churn model on the last {options['train_months']} months..."
            )
            trained = operator_train(
                months=options["train_months"], seed=options["seed"], threads=2, progress=True
            )
            auc = trained["cv"].get("roc_auc")
            self.stdout.write(
                f"  model {trained['model_version']} ({trained['chosen']}, "
                f"cross-validated ROC AUC {auc:.3f}) promoted"
            )
        run = ScoringRun.objects.filter(status=ScoringRun.Status.DONE).first()
        if run is None:
            self.stdout.write("Scoring every active line (risk, reasons, lifetime value)...")
            run = scoring_run_execute(run_id=scoring_run_request().pk, progress=True)
            self.stdout.write(
                f"  {run.lines_scored:,} lines scored for {run.as_of:%Y-%m}; value at risk "
                f"{run.summary.get('value_at_risk')} yuan"
            )
        self._uplift(options)

    def _uplift(self, options: dict[str, Any]) -> None:
        """Learn uplift from the past campaigns once, so a new proactive campaign can be
        targeted from the demo's pages."""
        if (
            uplift_models_list()
            or not Campaign.objects.filter(status=Campaign.Status.CLOSED).exists()
        ):
            return
        self.stdout.write("Training the uplift model on the past campaigns...")
        try:
            trained = uplift_model_train(seed=options["seed"], threads=2, progress=True)
        except (CampaignError, EngineError) as exc:
            # A tiny demo operator may have too few past targets to learn from.
            message = exc.message if isinstance(exc, CampaignError) else str(exc)
            self.stdout.write(f"  no uplift model: {message}")
            return
        self.stdout.write(
            f"  uplift model {trained['model_version']} ({trained['learner']}, "
            f"{trained['rows']:,} past targets, offers {', '.join(trained['offers'])})"
        )

    def _print_logins(self, logins: list[Any], options: dict[str, Any]) -> None:
        self.stdout.write("")
        self.stdout.write(f"Wanliu demo: http://{options['host']}:{options['port']}/")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<20} {login.role}  @ {login.where}")
        self.stdout.write("")

    def _serve_with_worker(self, options: dict[str, Any]) -> None:
        wanliu = [sys.executable, "-m", "wanliu.cli"]
        worker = subprocess.Popen([*wanliu, "worker"], env=os.environ.copy())
        self.stdout.write(f"Background worker started (pid {worker.pid}).")
        try:
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
