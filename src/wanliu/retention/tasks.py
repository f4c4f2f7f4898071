"""Background jobs of the retention desk, fired by ``wanliu worker``.

- ``retention.refusal_scan`` every 5 minutes: requests unprocessed past the policy's limit
  are flagged as refusals (拒拆);
- ``retention.approvals_expire`` every 5 minutes: level-2 approvals not decided in time are
  recorded as expired.

Both are safe to run twice or in two workers at once (see the services they call).
"""

from __future__ import annotations

from django_tasks import task

from wanliu.core.scheduler import periodic
from wanliu.retention.services.offers import offer_approvals_expire
from wanliu.retention.services.supervision import refusals_flag


@periodic(name="retention.refusal_scan", every_seconds=300)
@task()
def refusal_scan() -> int:
    return refusals_flag()


@periodic(name="retention.approvals_expire", every_seconds=300)
@task()
def approvals_expire() -> int:
    return offer_approvals_expire()
