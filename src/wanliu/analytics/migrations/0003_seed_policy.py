"""Starting policy, all editable in the admin: the compliance checks with their limits, the
ranking targets per role, and the monthly report schedule on the office calendar."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

CHECKS = [
    # code, limit
    ("missing_steps", 1),
    ("refusals", 0),
    ("transfers", 0),
    ("orders_not_closed", 7),
    ("revisits_overdue", 0),
    ("contacts_beyond_policy", 0),
]

TARGETS = [
    # ranking, role, metric, target, weight
    ("store", "clerk", "retention_success_rate", "55", 3),
    ("store", "clerk", "missing_steps_rate", "10", 2),
    ("store", "clerk", "refusals", "0", 3),
    ("store", "clerk", "transfers", "0", 2),
    ("team", "grid_lead", "churn_rate", "1.5", 3),
    ("team", "grid_lead", "retention_success_rate", "55", 2),
    ("team", "grid_lead", "refusals", "0", 2),
    ("team", "grid_lead", "resolution_attainment", "85", 1),
    ("team", "branch_manager", "churn_rate", "1.5", 3),
    ("team", "branch_manager", "retention_success_rate", "55", 2),
    ("team", "branch_manager", "refusals", "0", 2),
    ("team", "branch_manager", "resolution_attainment", "85", 2),
    ("team", "branch_manager", "csat", "4", 1),
    ("agent", "clerk", "retention_success_rate", "55", 3),
    ("agent", "clerk", "missing_steps_rate", "10", 2),
    ("agent", "clerk", "refusals", "0", 2),
    ("agent", "hotline_agent", "fcr", "70", 3),
    ("agent", "hotline_agent", "csat", "4", 3),
    ("agent", "hotline_agent", "resolution_attainment", "85", 2),
    ("agent", "hotline_agent", "reopened", "1", 1),
]


def seed(apps, schema_editor):
    ComplianceRule = apps.get_model("analytics", "ComplianceRule")
    RankingTarget = apps.get_model("analytics", "RankingTarget")
    ReportSchedule = apps.get_model("analytics", "ReportSchedule")
    BusinessCalendar = apps.get_model("complaints", "BusinessCalendar")
    for code, limit in CHECKS:
        ComplianceRule.objects.get_or_create(code=code, defaults={"threshold": limit})
    for ranking, role, metric, target, weight in TARGETS:
        RankingTarget.objects.get_or_create(
            ranking=ranking,
            role=role,
            metric=metric,
            defaults={"target": Decimal(target), "weight": weight},
        )
    if not ReportSchedule.objects.exists():
        office = BusinessCalendar.objects.filter(always_open=False).order_by("name").first()
        ReportSchedule.objects.create(calendar=office, send_from=dt.time(8, 0))


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_snapshots_policy_reports"),
        ("complaints", "0003_seed_policy"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
