"""``wanliu campaign``: proactive retention campaigns and the uplift model behind them.

- ``wanliu campaign generate-history [--seed S] [--as-of DATE]``: past campaigns of the
  generated operator (demo data);
- ``wanliu campaign uplift-train [--model NAME] [--campaigns 1,2] [--before YYYY-MM]
  [--learner auto|t_logistic|t_lightgbm|class_transformation] [--seed N] [--force] [--json]``;
- ``wanliu campaign uplift-evaluate [--model NAME] [--campaigns 3] --json``: held-out Qini
  and uplift at k per offer;
- ``wanliu campaign models``, ``list``, ``target ID [--model NAME]``, ``launch ID``,
  ``close ID``, ``report ID [--json]``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.scoring.campaign_generator import CampaignHistoryExists, campaign_history_generate
from wanliu.scoring.campaigns.errors import CampaignError
from wanliu.scoring.campaigns.selectors import (
    campaign_report,
    report_as_json,
    uplift_model_evaluate,
    uplift_models_list,
)
from wanliu.scoring.campaigns.services import (
    campaign_close,
    campaign_launch,
    campaign_target,
    uplift_model_train,
)
from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.uplift import LEARNERS
from wanliu.scoring.management.output import json_ready
from wanliu.scoring.models import Campaign
from wanliu.scoring.operator import month_start


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(
            _("--campaigns takes campaign ids separated by commas, e.g. 1,2")
        ) from exc


def _month(text: str) -> dt.date:
    try:
        return month_start(text)
    except ValueError as exc:
        raise CommandError(
            _("--before takes a month, YYYY-MM, not %(text)s") % {"text": text}
        ) from exc


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            _("--as-of takes a date like 2026-12-01, not %(text)s") % {"text": text}
        ) from exc


class Command(BaseCommand):
    help = (
        "Proactive retention campaigns: generate-history, uplift-train, uplift-evaluate, "
        "models, list, target, launch, close, report."
    )

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        history = actions.add_parser(
            "generate-history", help="past campaigns of the generated operator (demo data)"
        )
        history.add_argument("--seed", type=int, default=7)
        history.add_argument("--as-of", dest="as_of", type=_day, default=None)
        history.add_argument("--no-progress", action="store_true")
        history.add_argument("--json", action="store_true")

        train = actions.add_parser("uplift-train", help="learn uplift from closed campaigns")
        train.add_argument("--model", default="", help="artefact folder (default: dated)")
        train.add_argument("--campaigns", type=_ids, default=None, help="campaign ids, 1,2,3")
        train.add_argument(
            "--before", type=_month, default=None, help="only campaigns starting before YYYY-MM"
        )
        train.add_argument("--learner", choices=LEARNERS, default="auto")
        train.add_argument("--seed", type=int, default=0)
        train.add_argument("--jobs", type=int, default=1, help="threads for LightGBM")
        train.add_argument("--force", action="store_true", help="replace a model in --model")
        train.add_argument("--json", action="store_true")

        evaluate = actions.add_parser(
            "uplift-evaluate", help="held-out Qini and uplift at k on closed campaigns"
        )
        evaluate.add_argument("--model", default="", help="default: the newest uplift model")
        evaluate.add_argument(
            "--campaigns", type=_ids, default=None, help="default: those it did not learn from"
        )
        evaluate.add_argument("--json", action="store_true")

        models = actions.add_parser("models", help="the uplift models in the models roots")
        models.add_argument("--json", action="store_true")

        listing = actions.add_parser("list", help="the campaigns")
        listing.add_argument("--json", action="store_true")

        target = actions.add_parser("target", help="choose a draft campaign's targets")
        target.add_argument("campaign", type=int)
        target.add_argument("--model", default="", help="uplift model (default: the newest)")
        target.add_argument("--json", action="store_true")

        for name, text in (
            ("launch", "create the outreach tasks of a targeted campaign"),
            ("close", "record the outcomes of a running campaign and close it"),
        ):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("campaign", type=int)
            sub.add_argument("--json", action="store_true")

        report = actions.add_parser("report", help="incremental retention against control")
        report.add_argument("campaign", type=int)
        report.add_argument("--json", action="store_true")

    def _emit(self, options: dict[str, Any], data: Any, text: str) -> None:
        if options.get("json"):
            self.stdout.write(json.dumps(json_ready(data), ensure_ascii=False, default=str))
        else:
            self.stdout.write(text)

    def _campaign(self, pk: int) -> Campaign:
        campaign = Campaign.objects.filter(pk=pk).first()
        if campaign is None:
            raise CommandError(_("no campaign %(id)s; see `wanliu campaign list`") % {"id": pk})
        return campaign

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except CampaignError as exc:
            raise CommandError(exc.message) from exc
        except (EngineError, CampaignHistoryExists) as exc:
            raise CommandError(str(exc)) from exc

    def _generate_history(self, options: dict[str, Any]) -> None:
        as_of = options["as_of"] or timezone.localdate()
        counts = campaign_history_generate(
            seed=options["seed"], as_of=as_of, progress=not options["no_progress"]
        )
        self._emit(
            options,
            counts,
            _(
                "%(campaigns)s past campaigns, %(targets)s targets, "
                "%(departures)s planted departures"
            )
            % {
                "campaigns": counts.get("campaigns", 0),
                "targets": counts.get("targets", 0),
                "departures": counts.get("planted_departures", 0),
            },
        )

    def _uplift_train(self, options: dict[str, Any]) -> None:
        summary = uplift_model_train(
            model=options["model"],
            campaign_ids=options["campaigns"],
            before=options["before"],
            learner=options["learner"],
            seed=options["seed"],
            threads=options["jobs"],
            force=options["force"],
            progress=not options["json"],
        )
        self._emit(
            options,
            summary,
            _("uplift model %(version)s (%(learner)s, %(rows)s rows) written to %(path)s")
            % {
                "version": summary["model_version"],
                "learner": summary["learner"],
                "rows": summary["rows"],
                "path": summary["model"],
            },
        )

    def _uplift_evaluate(self, options: dict[str, Any]) -> None:
        result = uplift_model_evaluate(model=options["model"], campaign_ids=options["campaigns"])
        lines = [
            f"{code}: qini {item['qini']:.4f} (random {item['qini_random']:.4f}), "
            f"uplift@10 {item['uplift_at_10']:.3f}, n {item['n_treated']}+{item['n_control']}"
            for code, item in result["offers"].items()
        ]
        self._emit(options, result, "\n".join(lines))

    def _models(self, options: dict[str, Any]) -> None:
        entries = [e.as_dict() for e in uplift_models_list()]
        text = "\n".join(
            f"{e['model_version']}  {e['created_at']}  {e['learner']}  {','.join(e['offers'])}  "
            f"{e['path']}"
            for e in entries
        ) or _("no uplift model yet: run `wanliu campaign uplift-train`")
        self._emit(options, entries, text)

    def _list(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "id": c.pk,
                "name": c.name,
                "status": c.status,
                "starts_on": c.starts_on.isoformat(),
                "ends_on": c.ends_on.isoformat(),
                "targets": c.targets.count(),
                "generated": c.generated,
            }
            for c in Campaign.objects.order_by("starts_on", "pk")
        ]
        text = "\n".join(
            f"{r['id']:>4}  {r['status']:<9} {r['starts_on']}..{r['ends_on']}  "
            f"{r['targets']:>7}  {r['name']}"
            for r in rows
        ) or _("no campaigns")
        self._emit(options, rows, text)

    def _target(self, options: dict[str, Any]) -> None:
        campaign = campaign_target(
            campaign=self._campaign(options["campaign"]),
            actor=None,
            model=options["model"],
            progress=not options["json"],
        )
        count = campaign.targets.count()
        self._emit(
            options,
            {"campaign": campaign.pk, "status": campaign.status, "targets": count},
            _("campaign %(id)s targeted: %(count)s targets") % {"id": campaign.pk, "count": count},
        )

    def _launch(self, options: dict[str, Any]) -> None:
        campaign = campaign_launch(campaign=self._campaign(options["campaign"]), actor=None)
        tasks = campaign.tasks.count()
        self._emit(
            options,
            {"campaign": campaign.pk, "status": campaign.status, "tasks": tasks},
            _("campaign %(id)s running: %(count)s outreach tasks")
            % {"id": campaign.pk, "count": tasks},
        )

    def _close(self, options: dict[str, Any]) -> None:
        campaign = campaign_close(campaign=self._campaign(options["campaign"]), actor=None)
        self._emit(
            options,
            campaign.report,
            _("campaign %(id)s closed") % {"id": campaign.pk},
        )

    def _report(self, options: dict[str, Any]) -> None:
        campaign = self._campaign(options["campaign"])
        report = report_as_json(campaign_report(campaign))
        overall = report["overall"]
        if overall["incremental_retention"] is None:
            text = _("no comparison yet: the campaign needs treated and control targets")
        else:
            text = _(
                "incremental retention %(diff).1f points (95%% CI %(low).1f to %(high).1f), "
                "value saved %(saved)s yuan, spent %(spent)s yuan"
            ) % {
                "diff": 100 * overall["incremental_retention"],
                "low": 100 * overall["ci_low"],
                "high": 100 * overall["ci_high"],
                "saved": overall["value_saved"],
                "spent": report["spent"],
            }
        self._emit(options, report, text)
