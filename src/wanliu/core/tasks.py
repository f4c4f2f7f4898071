"""Background jobs of the core app, fired by ``wanliu worker``.

- ``core.planner_statistics`` daily: fresh query-planner statistics for the whole
  database (``wanliu.core.database``), so the desks' growing tables keep their indexes used.
"""

from __future__ import annotations

from django_tasks import task

from wanliu.core.database import planner_statistics_refresh
from wanliu.core.scheduler import periodic


@periodic(name="core.planner_statistics", every_seconds=86_400)
@task()
def planner_statistics() -> int:
    return len(planner_statistics_refresh())
