"""A periodic job used by the scheduler tests."""

from django_tasks import task

from wanliu.core.scheduler import periodic


@periodic(name="tests.heartbeat", every_seconds=60)
@task()
def heartbeat() -> str:
    return "beat"
