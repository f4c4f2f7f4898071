"""The admin speaks zh-Hans too: app names and the admin-only model names."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import make_staff
from wanliu.core.models import ScheduledRun
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db


def test_admin_index_names_the_apps_in_chinese():
    # given an administrator whose language is zh-hans
    client = Client()
    client.force_login(make_staff(Role.ADMIN).user)
    # when they open the admin
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # then the core and organisation apps are named in Chinese
    assert "组织架构" in html and ">系统<" in html
    assert "Organisation" not in html and ">Core<" not in html


def test_scheduled_runs_have_chinese_names():
    with translation.override("zh-hans"):
        assert str(ScheduledRun._meta.verbose_name) == "定时任务运行记录"
        assert str(ScheduledRun._meta.verbose_name_plural) == "定时任务运行记录"
