"""The notice templates of complaint milestones (notify.MessageTemplate rows), in
Simplified Chinese and English, for SMS and e-mail; editable in the admin afterwards.

Variables every customer notice has: order_no, title, customer_name, category, status,
deadline (the committed deadline), resolution. Progress and task notices add
``progress``; task notices add task, task_unit, task_due; the survey adds survey_url.
Escalation e-mails to staff add level, used_share, owner_unit, owner, staff_name.
"""

from django.db import migrations

TEMPLATES = {
    "complaints.accepted": {
        "description": "Complaint registered: the committed deadline",
        ("zh-hans", "sms"): (
            "",
            "【客户服务】{{ customer_name }}您好，您的投诉（{{ title }}）已受理，工单号{{ order_no }}。"
            "我们承诺在{{ deadline }}前处理并答复您。",
        ),
        ("zh-hans", "email"): (
            "您的投诉已受理（工单号{{ order_no }}）",
            "{{ customer_name }}您好：\n\n您的投诉“{{ title }}”已受理，工单号{{ order_no }}，"
            "类别：{{ category }}。\n我们承诺在{{ deadline }}前处理完毕并答复您，"
            "处理过程中的每一步进展我们都会及时告知。\n\n客户服务中心",
        ),
        ("en", "sms"): (
            "",
            "Dear {{ customer_name }}, your complaint ({{ title }}) is registered as "
            "{{ order_no }}. We commit to an answer by {{ deadline }}.",
        ),
        ("en", "email"): (
            "Your complaint is registered ({{ order_no }})",
            "Dear {{ customer_name }},\n\nyour complaint \"{{ title }}\" is registered as "
            "{{ order_no }} ({{ category }}).\nWe commit to resolving it and answering you by "
            "{{ deadline }}, and we will tell you of every step on the way.\n\nCustomer service",
        ),
    },
    "complaints.progress": {
        "description": "Progress of a complaint (milestones and periodic notices)",
        ("zh-hans", "sms"): (
            "",
            "【客户服务】您的工单{{ order_no }}进展：{{ progress }}（当前状态：{{ status }}，"
            "承诺时限{{ deadline }}）",
        ),
        ("zh-hans", "email"): (
            "工单{{ order_no }}处理进展",
            "{{ customer_name }}您好：\n\n您的投诉“{{ title }}”（工单号{{ order_no }}）最新进展：\n"
            "{{ progress }}\n\n当前状态：{{ status }}\n承诺时限：{{ deadline }}\n\n客户服务中心",
        ),
        ("en", "sms"): (
            "",
            "Your complaint {{ order_no }}: {{ progress }} (status: {{ status }}; "
            "committed deadline {{ deadline }})",
        ),
        ("en", "email"): (
            "Progress of your complaint {{ order_no }}",
            "Dear {{ customer_name }},\n\nnews about your complaint \"{{ title }}\" "
            "({{ order_no }}):\n{{ progress }}\n\nStatus: {{ status }}\nCommitted deadline: "
            "{{ deadline }}\n\nCustomer service",
        ),
    },
    "complaints.task_dispatched": {
        "description": "A task was dispatched to another unit for the complaint",
        ("zh-hans", "sms"): (
            "",
            "【客户服务】您的工单{{ order_no }}：{{ progress }}您无需再联系其他部门，"
            "我们将负责到底。",
        ),
        ("zh-hans", "email"): (
            "工单{{ order_no }}：已安排{{ task_unit }}协助处理",
            "{{ customer_name }}您好：\n\n为处理您的投诉“{{ title }}”，我们已安排{{ task_unit }}"
            "协助：{{ task }}，预计{{ task_due }}前完成。\n您无需再联系其他部门，我们将负责到底。"
            "\n承诺时限：{{ deadline }}\n\n客户服务中心",
        ),
        ("en", "sms"): (
            "",
            "Your complaint {{ order_no }}: {{ progress }} You need not contact anyone else: "
            "we stay responsible.",
        ),
        ("en", "email"): (
            "Complaint {{ order_no }}: {{ task_unit }} is helping",
            "Dear {{ customer_name }},\n\nto resolve your complaint \"{{ title }}\" we asked "
            "{{ task_unit }} to help: {{ task }}, expected by {{ task_due }}.\nYou need not "
            "contact anyone else: we stay responsible until it is solved.\nCommitted deadline: "
            "{{ deadline }}\n\nCustomer service",
        ),
    },
    "complaints.resolved": {
        "description": "The complaint is resolved: the result",
        ("zh-hans", "sms"): (
            "",
            "【客户服务】您的工单{{ order_no }}已处理完毕。处理结果：{{ resolution }}",
        ),
        ("zh-hans", "email"): (
            "工单{{ order_no }}处理结果",
            "{{ customer_name }}您好：\n\n您的投诉“{{ title }}”（工单号{{ order_no }}）已处理完毕。"
            "\n处理结果：{{ resolution }}\n\n我们将回访确认问题是否已解决。\n\n客户服务中心",
        ),
        ("en", "sms"): (
            "",
            "Your complaint {{ order_no }} is resolved. Result: {{ resolution }}",
        ),
        ("en", "email"): (
            "Result of your complaint {{ order_no }}",
            "Dear {{ customer_name }},\n\nyour complaint \"{{ title }}\" ({{ order_no }}) is "
            "resolved.\nResult: {{ resolution }}\n\nWe will call you to check that the problem "
            "is gone.\n\nCustomer service",
        ),
    },
    "complaints.survey": {
        "description": "Satisfaction survey link after resolution",
        ("zh-hans", "sms"): (
            "",
            "【客户服务】请对工单{{ order_no }}的处理进行评价：{{ survey_url }}",
        ),
        ("zh-hans", "email"): (
            "请评价工单{{ order_no }}的处理",
            "{{ customer_name }}您好：\n\n请花一分钟评价我们对“{{ title }}”的处理：\n"
            "{{ survey_url }}\n\n客户服务中心",
        ),
        ("en", "sms"): (
            "",
            "How did we handle complaint {{ order_no }}? Tell us: {{ survey_url }}",
        ),
        ("en", "email"): (
            "How did we do with {{ order_no }}?",
            "Dear {{ customer_name }},\n\nplease take a minute to tell us how we handled "
            "\"{{ title }}\":\n{{ survey_url }}\n\nCustomer service",
        ),
    },
    "complaints.escalation": {
        "description": "Escalation of an order to staff (SLA share reached)",
        ("zh-hans", "email"): (
            "【升级：{{ level }}】工单{{ order_no }}已用时限{{ used_share }}",
            "{{ staff_name }}您好：\n\n工单{{ order_no }}（{{ title }}，客户{{ customer_name }}）"
            "已用去{{ used_share }}的处理时限，触发升级：{{ level }}。\n责任单位：{{ owner_unit }}"
            "\n责任人：{{ owner }}\n当前状态：{{ status }}\n承诺时限：{{ deadline }}",
        ),
        ("en", "email"): (
            "[Escalation: {{ level }}] {{ order_no }} has used {{ used_share }} of its time",
            "Dear {{ staff_name }},\n\norder {{ order_no }} ({{ title }}, customer "
            "{{ customer_name }}) has used {{ used_share }} of its resolution target: "
            "{{ level }}.\nOwner unit: {{ owner_unit }}\nOwner: {{ owner }}\nStatus: "
            "{{ status }}\nCommitted deadline: {{ deadline }}",
        ),
    },
}


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    for key, variants in TEMPLATES.items():
        description = variants["description"]
        for variant, texts in variants.items():
            if variant == "description":
                continue
            language, channel = variant
            subject, body = texts
            MessageTemplate.objects.update_or_create(
                key=key,
                language=language,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    MessageTemplate.objects.filter(key__in=list(TEMPLATES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_seed_policy"),
        ("notify", "0001_initial"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
