"""Message templates: admin-editable, per key, language and channel."""

from __future__ import annotations

import pytest

from wanliu.notify.errors import TemplateNotFound, TemplateRenderError
from wanliu.notify.models import MessageTemplate
from wanliu.notify.services import template_render

pytestmark = pytest.mark.django_db

CONTEXT = {"order_no": "TS202611230007", "deadline": "2026-11-25 18:00", "customer_name": "张三"}


@pytest.fixture
def accepted_templates():
    MessageTemplate.objects.create(
        key="tests.accepted",
        language="zh-hans",
        channel="email",
        subject="投诉受理通知：{{ order_no }}",
        body=(
            "{{ customer_name }}您好：\n"
            "您的投诉 {{ order_no }} 已受理，我们承诺在 {{ deadline }} 前处理完毕。"
        ),
    )
    MessageTemplate.objects.create(
        key="tests.accepted",
        language="en",
        channel="email",
        subject="Complaint {{ order_no }} accepted",
        body=(
            "Dear {{ customer_name }},\nwe will resolve complaint {{ order_no }} by {{ deadline }}."
        ),
    )


def test_renders_chinese(accepted_templates):
    subject, body = template_render(
        key="tests.accepted", language="zh-hans", channel="email", context=CONTEXT
    )
    assert subject == "投诉受理通知：TS202611230007"
    assert body == (
        "张三您好：\n您的投诉 TS202611230007 已受理，我们承诺在 2026-11-25 18:00 前处理完毕。"
    )


def test_renders_english(accepted_templates):
    subject, body = template_render(
        key="tests.accepted", language="en", channel="email", context=CONTEXT
    )
    assert subject == "Complaint TS202611230007 accepted"
    assert body == "Dear 张三,\nwe will resolve complaint TS202611230007 by 2026-11-25 18:00."


def test_language_codes_are_normalised(accepted_templates):
    subject, _ = template_render(
        key="tests.accepted", language="zh_Hans", channel="email", context=CONTEXT
    )
    assert subject.startswith("投诉受理通知")


def test_text_is_not_html_escaped():
    MessageTemplate.objects.create(key="k", language="en", channel="sms", body="{{ text }}")
    _, body = template_render(key="k", language="en", channel="sms", context={"text": "A & <B>"})
    assert body == "A & <B>"


def test_a_missing_template_names_key_language_and_channel(accepted_templates):
    with pytest.raises(TemplateNotFound) as error:
        template_render(key="tests.accepted", language="en", channel="sms", context=CONTEXT)
    message = str(error.value)
    assert "tests.accepted" in message and "'en'" in message and "'sms'" in message


def test_a_variable_missing_from_the_context_is_an_error(accepted_templates):
    with pytest.raises(TemplateRenderError) as error:
        template_render(
            key="tests.accepted",
            language="en",
            channel="email",
            context={"order_no": "X", "customer_name": "Li"},
        )
    assert "deadline" in str(error.value)


def test_a_template_that_does_not_compile_is_an_error():
    MessageTemplate.objects.create(key="bad", language="en", channel="sms", body="{% if %}")
    with pytest.raises(TemplateRenderError):
        template_render(key="bad", language="en", channel="sms", context={})
