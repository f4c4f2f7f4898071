"""``wanliu churn``: train, evaluate and score churn models; list, compare and promote them.

- ``wanliu churn train --table FILE [--id COL] --target COL [--positive VALUE] --model DIR
  [--seed N] [--json]``
- ``wanliu churn evaluate --model DIR --table FILE [--json]``
- ``wanliu churn score --model DIR --table FILE --out FILE.parquet [--engine local|spark]
  [--reasons K]``
- ``wanliu churn models [--json]``, ``wanliu churn compare --model A --model B --table FILE``,
  ``wanliu churn promote --model DIR``

``--model`` is a folder under the models root (``WANLIU_MODEL_ROOTS``, default
``var/models``): a bare name means a folder there. Models are never loaded from elsewhere.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wanliu.scoring.engine.artefact import artefact_save, path_within
from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.scorer import churn_evaluate, churn_score_local
from wanliu.scoring.engine.training import ALGORITHMS, CALIBRATIONS, churn_model_train
from wanliu.scoring.management.output import json_ready
from wanliu.scoring.operator import features_as_of, month_start, operator_extract
from wanliu.scoring.selectors import churn_model_get, churn_models_list, model_path, model_roots
from wanliu.scoring.services import churn_model_promote
from wanliu.scoring.services.runs import scoring_run_execute, scoring_run_request
from wanliu.scoring.services.training import operator_train


def _cuts(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(_("risk band cut points must be numbers, e.g. 0.1,0.3,0.6")) from exc


class Command(BaseCommand):
    help = "Churn models: train, evaluate, score, models, compare, promote."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        train = actions.add_parser("train", help="train a churn model on a CSV or Parquet table")
        train.add_argument("--table", required=True, type=Path, help="CSV or Parquet file")
        train.add_argument("--target", required=True, help="column that says who churned")
        train.add_argument("--positive", default=None, help="target value meaning churn")
        train.add_argument(
            "--id", dest="id_column", default=None, help="id column (else row number)"
        )
        train.add_argument(
            "--period",
            dest="period_column",
            default=None,
            help="period column (e.g. month) of a table that stacks periods: each "
            "cross-validation fold leaves one period out; not a feature",
        )
        train.add_argument("--model", required=True, help="artefact folder to write")
        train.add_argument("--seed", type=int, default=0)
        train.add_argument("--algorithm", choices=ALGORITHMS, default="auto")
        train.add_argument("--calibration", choices=CALIBRATIONS, default="auto")
        train.add_argument(
            "--no-family-sums",
            action="store_true",
            help="do not add totals of numeric columns whose names share a word",
        )
        train.add_argument("--bands", type=_cuts, default=None, help="risk band cut points")
        train.add_argument("--jobs", type=int, default=1, help="threads for LightGBM")
        train.add_argument("--force", action="store_true", help="replace a model in --model")
        train.add_argument("--json", action="store_true")

        evaluate = actions.add_parser("evaluate", help="held-out metrics on a labelled table")
        evaluate.add_argument("--model", required=True)
        evaluate.add_argument("--table", required=True, type=Path)
        evaluate.add_argument("--json", action="store_true")

        score = actions.add_parser("score", help="score a table into Parquet, with reasons")
        score.add_argument("--model", required=True)
        score.add_argument("--table", required=True, type=Path)
        score.add_argument("--out", required=True, type=Path)
        score.add_argument("--engine", choices=("local", "spark"), default="local")
        score.add_argument("--reasons", type=int, default=3)
        score.add_argument("--batch-rows", type=int, default=65_536)
        score.add_argument(
            "--exact-reasons",
            action="store_true",
            help="exact TreeSHAP reasons (slow; local engine)",
        )
        score.add_argument("--spark-master", default="local[*]")
        score.add_argument("--jobs", type=int, default=2, help="threads for the local engine")
        score.add_argument("--json", action="store_true")

        listing = actions.add_parser("models", help="list the models in the models roots")
        listing.add_argument("--json", action="store_true")

        compare = actions.add_parser("compare", help="evaluate several models on one table")
        compare.add_argument("--model", required=True, action="append", dest="models")
        compare.add_argument("--table", required=True, type=Path)
        compare.add_argument("--json", action="store_true")

        promote = actions.add_parser("promote", help="make a model the promoted one")
        promote.add_argument("--model", required=True)

        extract = actions.add_parser(
            "extract", help="operator features per line as of a month, to Parquet"
        )
        extract.add_argument("--as-of", required=True, help="month, YYYY-MM")
        extract.add_argument("--out", required=True, type=Path)
        extract.add_argument("--label", action="store_true", help="add churned (next month)")
        extract.add_argument("--json", action="store_true")

        operator = actions.add_parser(
            "train-operator",
            help="train on the operator database over past months and promote the model",
        )
        operator.add_argument("--model", default=None, help="artefact folder (default: dated)")
        operator.add_argument("--months", type=int, default=6, help="as-of months to train on")
        operator.add_argument(
            "--holdout",
            action="store_true",
            help="keep the last month out of training and report held-out metrics on it",
        )
        operator.add_argument("--algorithm", choices=ALGORITHMS, default="auto")
        operator.add_argument("--seed", type=int, default=0)
        operator.add_argument("--jobs", type=int, default=1)
        operator.add_argument("--no-promote", action="store_true")
        operator.add_argument("--json", action="store_true")

        run = actions.add_parser(
            "score-operator",
            help="score every active line of the operator for a month and store the scores",
        )
        run.add_argument("--as-of", default=None, help="month, YYYY-MM (default: this month)")
        run.add_argument("--model", default=None, help="model folder (default: the promoted one)")
        run.add_argument(
            "--queue", action="store_true", help="queue the run for the worker instead"
        )
        run.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, "_" + options["action"].replace("-", "_"))
        try:
            handler(options)
        except EngineError as exc:
            raise CommandError(str(exc)) from exc

    def _emit(self, options: dict[str, Any], data: dict[str, Any], lines: list[str]) -> None:
        if options.get("json"):
            self.stdout.write(json.dumps(json_ready(data), ensure_ascii=False, sort_keys=True))
        else:
            for line in lines:
                self.stdout.write(line)

    def _train(self, options: dict[str, Any]) -> None:
        directory = model_path(options["model"])
        roots = model_roots()
        if not path_within(directory, roots):
            raise CommandError(
                _(
                    "--model must be a folder inside the models roots (%(roots)s); "
                    "set WANLIU_MODEL_ROOTS to add one"
                )
                % {"roots": ", ".join(map(str, roots))}
            )
        result = churn_model_train(
            table_path=options["table"],
            target=options["target"],
            positive=options["positive"],
            id_column=options["id_column"],
            period_column=options["period_column"],
            seed=options["seed"],
            algorithm=options["algorithm"],
            calibration=options["calibration"],
            family_sums=not options["no_family_sums"],
            band_cuts=options["bands"],
            threads=options["jobs"],
            progress=True,
        )
        artefact = artefact_save(result, directory, overwrite=options["force"])
        manifest = artefact.manifest
        data = {
            "model": str(artefact.path),
            "model_version": artefact.version,
            "chosen": result.chosen,
            "algorithm": manifest["algorithm"],
            "calibration": manifest["calibration"],
            "cv": result.cv_calibrated,
            "candidates": result.candidates,
            "features": manifest["features"],
            "notes": manifest["notes"],
            "rows": result.rows,
            "churn_rate": result.churn_rate,
            "positive": result.positive,
            "seconds": round(result.seconds, 2),
        }
        lines = [
            _("model %(version)s written to %(path)s")
            % {"version": artefact.version, "path": artefact.path},
            _(
                "chosen: %(chosen)s, calibration: %(calibration)s, cross-validated ROC AUC "
                "%(auc).4f, Brier %(brier).4f"
            )
            % {
                "chosen": result.chosen,
                "calibration": manifest["calibration"],
                "auc": result.cv_calibrated["roc_auc"],
                "brier": result.cv_calibrated["brier"],
            },
            *[f"  {n['column']}: {n['action']} ({n['reason']})" for n in manifest["notes"]],
        ]
        self._emit(options, data, lines)

    def _evaluate(self, options: dict[str, Any]) -> None:
        artefact = churn_model_get(options["model"])
        metrics = churn_evaluate(artefact, table_path=options["table"])
        lines = [f"{key}: {value}" for key, value in metrics.items()]
        self._emit(options, metrics, lines)

    def _score(self, options: dict[str, Any]) -> None:
        if options["reasons"] < 0:
            raise CommandError(_("--reasons must be 0 or more"))
        artefact = churn_model_get(options["model"], threads=max(1, options["jobs"]))
        out = options["out"].expanduser().resolve()
        if options["engine"] == "spark":
            from wanliu.scoring.engine.spark import churn_score_spark

            summary = churn_score_spark(
                artefact,
                table_path=options["table"],
                out_path=out,
                reasons=options["reasons"],
                batch_rows=options["batch_rows"],
                master=options["spark_master"],
            )
        else:
            summary = churn_score_local(
                artefact,
                table_path=options["table"],
                out_path=out,
                reasons=options["reasons"],
                batch_rows=options["batch_rows"],
                exact=options["exact_reasons"],
                progress=True,
            )
        data = summary.as_dict()
        lines = [
            _(
                "%(rows)d rows scored by %(version)s in %(seconds).1f s (%(rate).0f rows/s) "
                "to %(out)s"
            )
            % {
                "rows": summary.rows,
                "version": summary.model_version,
                "seconds": summary.seconds,
                "rate": summary.rows_per_second,
                "out": summary.out,
            }
        ]
        self._emit(options, data, lines)

    def _models(self, options: dict[str, Any]) -> None:
        entries = [entry.as_dict() for entry in churn_models_list()]
        lines = [
            ("* " if e["promoted"] else "  ")
            + f"{e['model_version']}  {e['created_at']}  {e['chosen']}  "
            + f"auc={e['cv_roc_auc']}  {e['path']}"
            for e in entries
        ] or [_("no models in %(roots)s") % {"roots": ", ".join(map(str, model_roots()))}]
        self._emit(options, {"models": entries}, lines)

    def _compare(self, options: dict[str, Any]) -> None:
        results = []
        for name in options["models"]:
            artefact = churn_model_get(name)
            metrics = churn_evaluate(artefact, table_path=options["table"])
            results.append({"model": str(artefact.path), **metrics})
        lines = [
            f"{r['model_version']}  roc_auc={r['roc_auc']:.4f}  pr_auc={r['pr_auc']:.4f}  "
            f"lift_at_10={r['lift_at_10']:.2f}  brier={r['brier']:.4f}  ece={r['ece']:.4f}"
            for r in results
        ]
        self._emit(options, {"models": results}, lines)

    def _extract(self, options: dict[str, Any]) -> None:
        try:
            as_of = month_start(options["as_of"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = options["out"].expanduser().resolve()
        with tempfile.TemporaryDirectory(prefix="wanliu-extract-") as folder:
            operator_extract(Path(folder), progress=True)
            table = features_as_of(Path(folder), as_of=as_of, label=options["label"])
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, out)
        data = {"out": str(out), "rows": table.num_rows, "as_of": as_of.isoformat()[:7]}
        if options["label"]:
            data["churned"] = int(pc.sum(table.column("churned")).as_py() or 0)
        self._emit(options, data, [_("%(rows)d lines written to %(out)s") % data])

    def _train_operator(self, options: dict[str, Any]) -> None:
        result = operator_train(
            model=options["model"],
            months=options["months"],
            holdout=options["holdout"],
            algorithm=options["algorithm"],
            seed=options["seed"],
            threads=options["jobs"],
            promote=not options["no_promote"],
            progress=True,
        )
        lines = [
            _("model %(model_version)s trained on %(rows)d rows (%(first)s to %(last)s)") % result
        ]
        if result.get("holdout"):
            lines.append(
                _("held out %(month)s: %(metrics)s")
                % {"month": result["holdout_month"], "metrics": result["holdout"]}
            )
        self._emit(options, result, lines)

    def _score_operator(self, options: dict[str, Any]) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = month_start(options["as_of"])
            except ValueError as exc:
                raise CommandError(_("--as-of: %(error)s") % {"error": exc}) from exc
        run = scoring_run_request(as_of=as_of, model=options["model"])
        if not options["queue"]:
            run = scoring_run_execute(run_id=run.pk, progress=True)
        data = {
            "run": run.pk,
            "as_of": f"{run.as_of:%Y-%m}",
            "model_version": run.model_version,
            "status": run.status,
            "lines_scored": run.lines_scored,
            **run.summary,
        }
        if options["queue"]:
            lines = [_("scoring of %(as_of)s queued as run %(run)d") % data]
        else:
            lines = [
                _("%(lines_scored)d lines scored for %(as_of)s with %(model_version)s") % data,
                _("value at risk: %(value_at_risk)s yuan") % data,
            ]
        self._emit(options, data, lines)

    def _promote(self, options: dict[str, Any]) -> None:
        artefact = churn_model_get(options["model"])
        previous = churn_model_promote(artefact=artefact, actor=None)
        self.stdout.write(
            _("promoted %(version)s (previously %(previous)s)")
            % {"version": artefact.version, "previous": previous or "-"}
        )
