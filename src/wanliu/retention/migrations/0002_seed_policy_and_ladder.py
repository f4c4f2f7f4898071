"""The default retention policy and offer ladder (policy as data, edited in the admin)."""

from decimal import Decimal

from django.db import migrations

LADDER = [
    # code, name, name_en, level, discount %, amount off, months, free months, bonus GB,
    # device subsidy, min tenure, tiers, families, budget per store and month
    ("L1-DATA10", "赠送10GB流量6个月", "10 GB bonus data for 6 months", 1,
     "0", "0", 6, 0, "10", "0", 0, "", "", None),
    ("L1-10OFF12", "月费九折12个月", "10% off for 12 months", 1,
     "10", "0", 12, 0, "0", "0", 12, "", "", "3000"),
    ("L1-FREE1", "免1个月月费", "One month free", 1,
     "0", "0", 0, 1, "0", "0", 24, "", "", "2000"),
    ("L2-30OFF36", "二级维挽：月费七折36个月", "Level 2: 30% off for 36 months", 2,
     "30", "0", 36, 0, "0", "0", 24, "A,B", "family_bundle", "20000"),
    ("L2-30OFF24", "二级维挽：每月减30元24个月", "Level 2: 30 yuan off a month for 24 months", 2,
     "0", "30", 24, 0, "0", "0", 12, "", "", "10000"),
    ("L2-DEVICE500", "二级维挽：终端补贴500元", "Level 2: 500 yuan device subsidy", 2,
     "0", "0", 0, 0, "0", "500", 36, "A", "", "5000"),
]


def seed(apps, schema_editor):
    RetentionPolicy = apps.get_model("retention", "RetentionPolicy")
    RetentionOffer = apps.get_model("retention", "RetentionOffer")
    if not RetentionPolicy.objects.exists():
        RetentionPolicy.objects.create(name="default")
    for (code, name, name_en, level, pct, off, months, free, bonus, subsidy, tenure, tiers,
         families, budget) in LADDER:
        RetentionOffer.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "level": level,
                "discount_pct": Decimal(pct),
                "amount_off": Decimal(off),
                "months": months,
                "free_months": free,
                "bonus_data_gb": Decimal(bonus),
                "device_subsidy": Decimal(subsidy),
                "min_tenure_months": tenure,
                "value_tiers": tiers,
                "plan_families": families,
                "monthly_budget_per_store": None if budget is None else Decimal(budget),
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("retention", "RetentionOffer").objects.filter(
        code__in=[row[0] for row in LADDER], grants__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
