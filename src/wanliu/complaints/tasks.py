"""Background jobs of the complaints app, fired by ``wanliu worker``.

- ``complaints.sla_scan`` every 60 s: escalation levels and periodic progress notices;
- ``complaints.fcr_compute`` every 15 min: first-contact-resolution flags of contacts.

Both are safe to run twice or in two workers at once (see the services they call).
"""

from __future__ import annotations

from django_tasks import task

from wanliu.complaints.services.escalation import sla_scan as sla_scan_service
from wanliu.complaints.services.fcr import contact_resolutions_compute
from wanliu.core.scheduler import periodic


@periodic(name="complaints.sla_scan", every_seconds=60)
@task()
def sla_scan() -> dict[str, int]:
    result = sla_scan_service()
    return {"escalations": result.escalations, "progress_notices": result.progress_notices}


@periodic(name="complaints.fcr_compute", every_seconds=900)
@task()
def fcr_compute() -> int:
    return contact_resolutions_compute()
