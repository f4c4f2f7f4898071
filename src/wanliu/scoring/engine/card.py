"""The model card: one self-contained HTML page written next to the model."""

from __future__ import annotations

from html import escape
from typing import Any


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar(width: float) -> str:
    return f'<span class="bar" style="width:{width:.0f}px"></span>'


def model_card_html(manifest: dict[str, Any]) -> str:
    data = manifest["data"]
    metrics = manifest["cv_metrics"]
    importance = manifest["importance"]
    largest = max((item["mean_abs_contribution"] for item in importance), default=1.0) or 1.0
    feature_rows = [
        [
            escape(item["feature"]),
            escape(item["kind"]),
            f"{item['mean_abs_contribution']:.4f}",
            _bar(120 * item["mean_abs_contribution"] / largest),
        ]
        for item in importance
    ]
    candidate_rows = [
        [
            escape(c["name"])
            + (" <strong>(chosen)</strong>" if c["name"] == manifest["chosen"] else ""),
            f"{c['roc_auc']:.4f} ± {c['roc_auc_std']:.4f}",
            f"{c['pr_auc']:.4f}",
            f"{c['brier']:.4f}",
            escape(str(c.get("trees", ""))),
        ]
        for c in manifest["candidates"]
    ]
    note_rows = [
        [escape(n["column"]), escape(n["action"]), escape(n["reason"])] for n in manifest["notes"]
    ]
    cuts = manifest["band_cuts"]
    labels = manifest["band_labels"]
    edges = [0.0, *cuts, 1.0]
    band_rows = [
        [escape(label), f"{edges[i]:.2f} – {edges[i + 1]:.2f}"] for i, label in enumerate(labels)
    ]
    library_rows = [[escape(k), escape(v)] for k, v in sorted(manifest["libraries"].items())]
    metric_rows = [
        [escape(key), _number(metrics[key])]
        for key in ("roc_auc", "pr_auc", "lift_at_10", "brier", "ece", "n")
        if key in metrics
    ]
    options = manifest["training_options"]
    notes_html = (
        _table(["column", "what was done", "why"], note_rows)
        if note_rows
        else "<p>No column was dropped or changed.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Model card {escape(manifest["model_version"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .25rem .75rem; text-align: left; }}
.bar {{ display: inline-block; height: .7rem; background: #c0392b; }}
code {{ background: #f4f4f4; padding: 0 .2rem; }}
</style></head><body>
<h1>Churn model <code>{escape(manifest["model_version"])}</code></h1>
<p>Trained {escape(manifest["created_at"])} to predict <code>{escape(manifest["target"])}</code>
= <code>{escape(manifest["positive"])}</code>.
Chosen model: <strong>{escape(manifest["chosen"])}</strong>,
probabilities calibrated by <strong>{escape(manifest["calibration"])}</strong>. Seed
{escape(str(manifest["seed"]))}; {escape(str(options["repeats"]))} x
{escape(str(options["folds"]))}-fold
stratified cross-validation; training took {manifest["training_seconds"]:.1f} s.</p>

<h2>Data</h2>
<p>File <code>{escape(data["file_name"])}</code>
(sha256 <code>{escape(data["sha256"][:16])}…</code>),
{data["rows"]} rows, {len(data["columns"])} columns; {manifest["rows"]} rows with a target,
churn rate {manifest["churn_rate"]:.2%}. Id column:
<code>{escape(str(manifest["id_column"] or "row number"))}</code>.
{len(manifest["features"])} model features.</p>
{notes_html}

<h2>Cross-validated performance</h2>
<p>Calibrated out-of-fold scores of the chosen model:</p>
{_table(["metric", "value"], metric_rows)}
<p>Candidates (uncalibrated, mean over folds):</p>
{_table(["candidate", "ROC AUC", "PR AUC", "Brier", "trees"], candidate_rows)}

<h2>Most important features</h2>
<p>Mean absolute contribution to the raw log-odds over the training rows.</p>
{_table(["feature", "kind", "mean |contribution|", ""], feature_rows)}

<h2>Risk bands</h2>
{_table(["band", "probability"], band_rows)}

<h2>Reasons</h2>
<p>Each scored row carries its top reasons: the features that raise its raw log-odds the
most. Contributions add up, with the model's base value, to the raw score, before the
calibration maps it to a probability. Logistic models: coefficient × standardised value;
LightGBM models: per-leaf path attributions (exact TreeSHAP on request).</p>

<h2>Libraries</h2>
{_table(["library", "version"], library_rows)}
<p>Intended use: ranking lines by churn risk for retention work. Check it on recent data
before use; scores are as good as the extract they were trained on.</p>
</body></html>
"""
