"""Proactive campaign at operator scale: learning uplift from the past campaigns, then
targeting a new campaign over the whole operator (candidates under the contact policy,
features, uplift per offer, remaining values, ranking under the budget, control group).

Runs against the configured database (``WANLIU_VAR_DIR`` or ``DATABASE_URL``) holding a
generated operator with scored lines and past campaigns::

    WANLIU_VAR_DIR=/tmp/wl1m .venv/bin/wanliu campaign generate-history --seed 7
    WANLIU_VAR_DIR=/tmp/wl1m .venv/bin/python bench/campaign_bench.py --budget 1000000

Each step runs in a child process (``wanliu campaign uplift-train`` unless a model exists,
then ``campaign_target`` through ``wanliu shell``) so its wall time and peak RSS are its
own. The campaign it makes is discarded afterwards, so the bench can be rerun. ``--json
FILE`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WANLIU = [sys.executable, "-m", "wanliu.cli"]

TARGET = """
import datetime as dt, json, time
from decimal import Decimal
from django.utils import timezone
from django.contrib.auth import get_user_model
from wanliu.retention.models import RetentionOffer
from wanliu.scoring.campaigns import services as s
from wanliu.scoring.campaigns.selectors import uplift_model_get
actor, _ = get_user_model().objects.get_or_create(
    username="bench-superuser", defaults={{"is_superuser": True, "is_staff": True}}
)
known = uplift_model_get().model.offers_
offers = list(RetentionOffer.objects.filter(code__in=known, active=True))
today = timezone.localdate()
campaign = s.campaign_create(
    actor=actor, name="bench: whole operator", offers=offers, budget=Decimal("{budget}"),
    starts_on=today, ends_on=today + dt.timedelta(days=20), channel="hotline", seed=7,
)
began = time.perf_counter()
campaign = s.campaign_target(campaign=campaign, actor=actor, progress=False)
seconds = time.perf_counter() - began
figures = {{
    "target_seconds": round(seconds, 1),
    "targets": campaign.targets.count(),
    "treated": campaign.targets.filter(arm="treatment").count(),
    "control": campaign.targets.filter(arm="control").count(),
    "offers": [o.code for o in offers],
}}
s.campaign_targets_discard(campaign=campaign, actor=actor)
print("FIGURES " + json.dumps(figures))
"""


def child(args: list[str], *, stdin: str | None = None) -> tuple[float, float, str]:
    """Run ``args``; wall seconds, peak RSS of the child (MiB), its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    done = subprocess.run(
        args, input=stdin, capture_output=True, text=True, cwd=ROOT, env=os.environ.copy()
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{' '.join(args[:4])} failed ({done.returncode})")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, done.stdout


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="1000000", help="campaign budget in yuan")
    parser.add_argument("--retrain", action="store_true", help="train the uplift model again")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(argv)
    figures: dict[str, Any] = {"budget": options.budget}
    _, _, models = child([*WANLIU, "campaign", "models", "--json"])
    if options.retrain or not json.loads(models or "[]"):
        seconds, peak, out = child([*WANLIU, "campaign", "uplift-train", "--jobs", "2"])
        figures["uplift_train"] = {"seconds": round(seconds, 1), "peak_rss_mib": round(peak)}
        print(f"uplift-train: {seconds:.1f} s, peak RSS {peak:.0f} MiB")
    seconds, peak, out = child([*WANLIU, "shell"], stdin=TARGET.format(budget=options.budget))
    found = [line for line in out.splitlines() if line.startswith("FIGURES ")]
    figures["target"] = {
        **json.loads(found[-1].removeprefix("FIGURES ")),
        "process_seconds": round(seconds, 1),
        "peak_rss_mib": round(peak),
    }
    print(json.dumps(figures, indent=2))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
