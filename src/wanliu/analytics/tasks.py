"""Background jobs of the analytics app, fired by ``wanliu worker``.

- ``analytics.snapshot_build``: build the snapshots of closed months (queued by the page
  when it meets a month without one);
- ``analytics.monthly_reports`` every 15 minutes: on the first working day of the month,
  from the schedule's hour, the previous month's review goes to each unit's supervisors.

Both are safe to run twice (see the services they call).
"""

from __future__ import annotations

from django_tasks import task

from wanliu.analytics.months import parse_month
from wanliu.analytics.reports import monthly_reports_send
from wanliu.analytics.snapshots import snapshot_build
from wanliu.core.scheduler import periodic


@task()
def snapshot_build_task(months: list[str]) -> list[str]:
    built = snapshot_build(months=[parse_month(m) for m in months])
    return [f"{s.month:%Y-%m}" for s in built]


@periodic(name="analytics.monthly_reports", every_seconds=900)
@task()
def monthly_reports() -> int:
    return monthly_reports_send()
