"""Starting data, all editable in the admin: the category tree, a business calendar with
the State Council's 2026 holidays and make-up working days, SLA policies, escalation
levels, the settings row and a few canned replies."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

CATEGORIES = [
    # code, Chinese name, English name, parent code
    ("network", "网络质量", "Network", None),
    ("network-coverage", "信号覆盖", "Coverage", "network"),
    ("network-speed", "网速慢", "Slow data", "network"),
    ("network-outage", "故障中断", "Outage", "network"),
    ("broadband-fault", "宽带故障", "Broadband fault", "network"),
    ("billing", "计费账单", "Billing", None),
    ("billing-overcharge", "多收费", "Overcharge", "billing"),
    ("billing-value-added", "增值业务扣费", "Value-added charges", "billing"),
    ("billing-question", "账单疑问", "Question about a bill", "billing"),
    ("cancellation", "拆机销户", "Cancellation", None),
    ("cancellation-refused", "拒拆", "Cancellation refused", "cancellation"),
    ("cancellation-delayed", "拆机拖延", "Cancellation delayed", "cancellation"),
    ("staff-attitude", "服务态度", "Staff attitude", None),
    ("product", "产品业务", "Product", None),
    ("product-plan", "套餐争议", "Plan dispute", "product"),
    ("product-device", "终端问题", "Device", "product"),
    ("product-installation", "装机移机", "Installation", "product"),
    ("other", "其他", "Other", None),
]


def _days(first, last):
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


HOLIDAYS_2026 = [
    ("元旦", _days(dt.date(2026, 1, 1), dt.date(2026, 1, 3))),
    ("春节", _days(dt.date(2026, 2, 15), dt.date(2026, 2, 23))),
    ("清明节", _days(dt.date(2026, 4, 4), dt.date(2026, 4, 6))),
    ("劳动节", _days(dt.date(2026, 5, 1), dt.date(2026, 5, 5))),
    ("端午节", _days(dt.date(2026, 6, 19), dt.date(2026, 6, 21))),
    ("中秋节", _days(dt.date(2026, 9, 25), dt.date(2026, 9, 27))),
    ("国庆节", _days(dt.date(2026, 10, 1), dt.date(2026, 10, 7))),
]
MAKE_UP_2026 = [
    ("元旦调休", dt.date(2026, 1, 4)),
    ("春节调休", dt.date(2026, 2, 14)),
    ("春节调休", dt.date(2026, 2, 28)),
    ("劳动节调休", dt.date(2026, 5, 9)),
    ("国庆节调休", dt.date(2026, 9, 20)),
    ("国庆节调休", dt.date(2026, 10, 10)),
]

DAY = 8 * 60  # one office day of working minutes
POLICIES = [
    # name, category, priority, channel, tier, calendar ("office" or None = 24x7),
    # first response, progress interval, resolution (working minutes)
    ("默认 Default", None, "", "", "", "office", 120, 4 * 60, 3 * DAY),
    ("网络故障 Network faults", "network", "", "", "", "office", 60, 4 * 60, 2 * DAY),
    ("拒拆 Cancellation refused", "cancellation-refused", "", "", "", "office", 30, 2 * 60, 4 * 60),
    ("紧急 Urgent", None, "urgent", "", "", "office", 30, 2 * 60, DAY),
    ("高价值客户 High-value customers", None, "", "", "A", "office", 30, 4 * 60, 2 * DAY),
    # Regulator appeals are always urgent: two dimensions, so this policy wins for them.
    ("工信部申诉 Regulator appeals", None, "urgent", "regulator", "", None, 24 * 60, 2 * 24 * 60, 7 * 24 * 60),
]
LEVELS = [
    ("warn-owner", "预警 Warning to the owner", Decimal("0.75"), "owner"),
    ("team-leader", "超时 Team leader", Decimal("1.00"), "team_leader"),
    ("department", "严重超时 Customer-service department", Decimal("1.50"), "department_head"),
]
CANNED = [
    (
        "致歉与承诺时限",
        "zh-hans",
        "{{ customer_name }}您好，非常抱歉给您带来不便。您的工单{{ order_no }}已受理，"
        "我们承诺在{{ deadline }}前给您答复。客服{{ agent_name }}",
    ),
    (
        "Apology and committed deadline",
        "en",
        "Dear {{ customer_name }}, we are sorry for the trouble. Your order {{ order_no }} "
        "is registered and you will have our answer by {{ deadline }}. {{ agent_name }}",
    ),
    (
        "请提供资料",
        "zh-hans",
        "{{ customer_name }}您好，为处理您的{{ category }}问题，请提供相关截图或账单，谢谢。",
    ),
]


def seed(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    BusinessCalendar = apps.get_model("complaints", "BusinessCalendar")
    WorkingHours = apps.get_model("complaints", "WorkingHours")
    CalendarDay = apps.get_model("complaints", "CalendarDay")
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    EscalationLevel = apps.get_model("complaints", "EscalationLevel")
    ComplaintSettings = apps.get_model("complaints", "ComplaintSettings")
    CannedReply = apps.get_model("complaints", "CannedReply")

    by_code = {}
    for code, name, name_en, parent in CATEGORIES:
        by_code[code] = Category.objects.create(
            code=code, name=name, name_en=name_en, parent=by_code.get(parent)
        )
    office = BusinessCalendar.objects.create(
        name="中国大陆工作日 China mainland office hours", timezone="Asia/Shanghai"
    )
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=office, weekday=weekday, start=dt.time(9), end=dt.time(12)
        )
        WorkingHours.objects.create(
            calendar=office, weekday=weekday, start=dt.time(13), end=dt.time(18)
        )
    for name, dates in HOLIDAYS_2026:
        for day in dates:
            CalendarDay.objects.create(calendar=office, date=day, kind="holiday", name=name)
    for name, day in MAKE_UP_2026:
        CalendarDay.objects.create(calendar=office, date=day, kind="make_up", name=name)
    BusinessCalendar.objects.create(name="全天候 24x7", timezone="Asia/Shanghai", always_open=True)
    for name, cat, prio, channel, tier, cal, first, progress, resolution in POLICIES:
        SlaPolicy.objects.create(
            name=name,
            category=by_code.get(cat) if cat else None,
            priority=prio,
            channel=channel,
            value_tier=tier,
            calendar=office if cal == "office" else None,
            first_response_minutes=first,
            progress_interval_minutes=progress,
            resolution_minutes=resolution,
        )
    for code, name, share, recipient in LEVELS:
        EscalationLevel.objects.create(code=code, name=name, share=share, recipient=recipient)
    ComplaintSettings.objects.get_or_create(pk=1)
    for title, language, body in CANNED:
        CannedReply.objects.create(title=title, language=language, body=body)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_search_index")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
