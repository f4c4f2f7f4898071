"""Campaign pages: an analyst creates, targets, launches and reads the report; an agent works
the outreach tasks; in Chinese and in English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD
from tests.scoring.campaign_world import World, offers, uplift_model_save, world_create
from wanliu.retention.models import RetentionOffer, RetentionPolicy
from wanliu.scoring.campaigns import services as s
from wanliu.scoring.models import Campaign, OutreachTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tmp_path: Path, roots: Path, settings: Any) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    uplift_model_save(roots / "uplift-test")
    return world_create(tmp_path)


def _login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _english(client: Client) -> None:
    client.post("/language/", {"language": "en", "next": "/"})


def test_an_analyst_runs_a_campaign_from_the_pages(world, django_capture_on_commit_callbacks):
    # given an analyst on the campaigns page (Chinese first)
    client = _login(world.analyst.user.username)
    page = client.get("/scoring/campaigns/").content.decode()
    assert "主动挽留活动" in page and "新建活动" in page and "用已结束的活动训练增益模型" in page

    # when the analyst creates a campaign with the form
    today = timezone.localdate()
    created = client.post(
        "/scoring/campaigns/",
        {
            "name": "冬季关怀外呼",
            "offers": [o.pk for o in RetentionOffer.objects.filter(code__in=["L1-10OFF12"])],
            "budget": "5000",
            "control_share": "0.2",
            "contact_cost": "2.00",
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=20)).isoformat(),
            "channel": "auto",
        },
    )
    campaign = Campaign.objects.get(name="冬季关怀外呼")
    assert created.status_code == 302 and created.url == f"/scoring/campaigns/{campaign.pk}/"
    detail = client.get(created.url).content.decode()
    assert "草稿" in detail and "选择目标客户" in detail

    # and asks for the targets (the worker runs at once here), then launches
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/scoring/campaigns/{campaign.pk}/do/target/")
    detail = client.get(f"/scoring/campaigns/{campaign.pk}/").content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.TARGETED
    assert "报告：相对对照组的增量保有" in detail and "对照组" in detail
    client.post(f"/scoring/campaigns/{campaign.pk}/do/launch/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    # an illegal move is refused with the rule, shown on the page
    refused = client.post(f"/scoring/campaigns/{campaign.pk}/do/launch/", follow=True)
    assert "只能变为" in refused.content.decode()

    # then the same page reads in English
    _english(client)
    detail = client.get(f"/scoring/campaigns/{campaign.pk}/").content.decode()
    assert "Report: incremental retention against the control group" in detail
    assert "95% confidence interval" in detail and "Close: record the outcomes" in detail


def test_an_agent_works_outreach_tasks_from_the_pages(world):
    # given a running campaign called by the hotline, and no quiet hours today
    RetentionPolicy.objects.update(quiet_hours_start=dt.time(0, 0), quiet_hours_end=dt.time(0, 0))
    today = timezone.localdate()
    campaign = s.campaign_create(
        actor=world.analyst.user,
        name="Hotline calls",
        offers=offers(),
        budget=Decimal("3000"),
        starts_on=today,
        ends_on=today + dt.timedelta(days=20),
        channel=Campaign.Channel.HOTLINE,
        seed=3,
    )
    s.campaign_target(campaign=campaign, actor=world.analyst.user)
    s.campaign_launch(campaign=campaign, actor=world.analyst.user)
    task = OutreachTask.objects.filter(campaign=campaign).order_by("id").first()

    # when the hotline agent opens the queue and the task
    client = _login(world.hotline_agent.user.username)
    queue = client.get("/scoring/outreach/").content.decode()
    assert "外呼任务" in queue and task.target.customer.name in queue
    page = client.get(f"/scoring/outreach/{task.pk}/").content.decode()
    assert "登记接触" in page and "推荐政策" in page

    # and records that the customer accepted
    done = client.post(f"/scoring/outreach/{task.pk}/", {"result": "accepted", "note": "同意"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == OutreachTask.Status.ACCEPTED and task.attempts == 1
    assert task.offer_cost == task.target.offer_cost

    # then the task page no longer offers the form, in English too
    _english(client)
    page = client.get(f"/scoring/outreach/{task.pk}/").content.decode()
    assert "offer accepted" in page and "Record the attempt" not in page
    # and the customer's 360 shows the call to whoever faces them, linked for the agent
    view = client.get(f"/api/v1/customers/{task.target.customer_id}").json()
    assert view["outreach"] == [
        {
            "id": task.pk,
            "campaign": "Hotline calls",
            "offer": {
                "code": task.target.offer.code,
                "name": task.target.offer.name,
                "name_en": task.target.offer.name_en,
            },
            "status": "accepted",
            "status_label": "offer accepted (接受)",
            "attempts": 1,
            "created_at": view["outreach"][0]["created_at"],
            "last_attempt_at": view["outreach"][0]["last_attempt_at"],
            "url": f"/scoring/outreach/{task.pk}/",
        }
    ]
    assert view["outreach"][0]["last_attempt_at"] is not None
    page = client.get(f"/customers/{task.target.customer_id}/").content.decode()
    assert 'data-test="outreach"' in page and "Hotline calls" in page
    # and the agent may not open the campaigns pages
    assert client.get("/scoring/campaigns/").status_code == 403
    assert client.get(f"/scoring/campaigns/{campaign.pk}/").status_code == 404
