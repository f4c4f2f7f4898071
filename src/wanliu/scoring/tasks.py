"""Background jobs of the churn engine, fired by ``wanliu worker``.

- ``scoring_run_task(run_id)``: do one queued scoring run (queued on commit by
  ``scoring_run_request``); safe twice: only the worker that claims the run does it.
- ``scoring.monthly`` every hour: make sure the current month is scored with the promoted
  model (queues a run when it is not; requeues a run whose worker died).
"""

from __future__ import annotations

from django_tasks import task

from wanliu.core.scheduler import periodic
from wanliu.scoring.services.runs import scoring_monthly_ensure, scoring_run_execute


@task()
def scoring_run_task(run_id: int) -> dict[str, object]:
    run = scoring_run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status, "lines_scored": run.lines_scored}


@periodic(name="scoring.monthly", every_seconds=3600)
@task()
def scoring_monthly() -> int | None:
    run = scoring_monthly_ensure()
    return run.pk if run is not None else None
