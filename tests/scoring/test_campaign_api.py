"""The campaign API (/api/v1/scoring/): who may create and run campaigns, scope (404 out of
it), validation naming the field, background targeting, outreach attempts within the
contact policy, and the report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.scoring.campaign_world import World, offers, uplift_model_save, world_create
from wanliu.scoring.campaigns import services as s
from wanliu.scoring.models import Campaign, CampaignTarget, OutreachTask

pytestmark = pytest.mark.django_db
API = "/api/v1/scoring"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(tmp_path: Path, roots: Path, settings: Any) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    uplift_model_save(roots / "uplift-test")
    return world_create(tmp_path)


def _payload(**changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    payload = {
        "name": "Winter care calls",
        "offers": ["L1-10OFF12", "L1-DATA10"],
        "budget": "20000.00",
        "starts_on": (today - dt.timedelta(days=3)).isoformat(),
        "ends_on": (today + dt.timedelta(days=30)).isoformat(),
        "control_share": "0.2",
        "seed": 5,
    }
    payload.update(changes)
    return payload


def _as(api_client: Any, username: str) -> Any:
    api_client.login_token(username)
    return api_client


def test_an_agent_may_not_create_a_campaign_and_bad_input_names_the_field(world, api_client):
    # given a hotline agent
    client = _as(api_client, world.hotline_agent.user.username)
    # when it creates a campaign, it is refused
    response = client.post(f"{API}/campaigns", _payload(), content_type="application/json")
    assert response.status_code == 403, response.content
    assert not Campaign.objects.exists()
    # and an agent sees no campaigns at all
    assert client.get(f"{API}/campaigns").json() == []

    # given an analyst: bad input is refused naming the field to fix
    client = _as(api_client, world.analyst.user.username)
    unknown = client.post(
        f"{API}/campaigns", _payload(offers=["NOPE"]), content_type="application/json"
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "offers"
    assert "NOPE" in unknown.json()["detail"]
    backwards = client.post(
        f"{API}/campaigns",
        _payload(ends_on=(timezone.localdate() - dt.timedelta(days=10)).isoformat()),
        content_type="application/json",
    )
    assert backwards.status_code == 400 and backwards.json()["field"] == "ends_on"
    share = client.post(
        f"{API}/campaigns", _payload(control_share="0.9"), content_type="application/json"
    )
    assert share.status_code == 422 and "control_share" in share.content.decode()
    # and good input makes a draft with a recorded seed and the default 10% control share
    created = client.post(
        f"{API}/campaigns", _payload(control_share=None, seed=None), content_type="application/json"
    )
    assert created.status_code == 422  # null is not a share: omit the field for the default
    payload = _payload()
    del payload["control_share"], payload["seed"]
    created = client.post(f"{API}/campaigns", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["control_share"] == 0.1
    assert body["budget"] == "20000.00" and isinstance(body["seed"], int)


def test_campaign_life_through_the_api(world, api_client, django_capture_on_commit_callbacks):
    # given an analyst's campaign over the whole operator
    analyst = _as(api_client, world.analyst.user.username)
    campaign = analyst.post(f"{API}/campaigns", _payload(), content_type="application/json")
    campaign_id = campaign.json()["id"]

    # when it asks for targeting, the worker targets it (background task, run at once here)
    with django_capture_on_commit_callbacks(execute=True):
        queued = analyst.post(
            f"{API}/campaigns/{campaign_id}/target", {}, content_type="application/json"
        )
    assert queued.status_code == 202, queued.content
    detail = analyst.get(f"{API}/campaigns/{campaign_id}").json()
    assert detail["status"] == "targeted" and detail["targets"] > 0
    assert detail["control"] == int(0.2 * detail["targets"] + 0.5)
    targets = analyst.get(f"{API}/campaigns/{campaign_id}/targets", {"limit": 1000}).json()
    assert [t["rank"] for t in targets] == sorted(t["rank"] for t in targets)
    assert {t["arm"] for t in targets} == {"treatment", "control"}
    # an illegal move is a 409 that says what is allowed (in the user's language)
    closing = analyst.post(f"{API}/campaigns/{campaign_id}/close")
    assert closing.status_code == 409
    assert "只能变为：草稿, 执行中" in closing.json()["detail"]

    # when it is launched, the treated get tasks (hotline or grid), the control group none
    launched = analyst.post(f"{API}/campaigns/{campaign_id}/launch")
    assert launched.status_code == 200 and launched.json()["status"] == "running"
    agent = _as(api_client, world.hotline_agent.user.username)
    tasks = agent.get(f"{API}/outreach/tasks", {"limit": 500}).json()
    treated_customers = {t["customer_id"] for t in targets if t["arm"] == "treatment"}
    assert tasks and {t["customer_id"] for t in tasks} <= treated_customers
    assert {t["queue"] for t in tasks} == {"hotline"}
    control_ids = {t["id"] for t in targets if t["arm"] == "control"}
    assert not OutreachTask.objects.filter(target_id__in=control_ids).exists()

    # and the agent records a call made yesterday morning
    at = dt.datetime.combine(
        timezone.localdate() - dt.timedelta(days=1), dt.time(10, 15), tzinfo=SHANGHAI
    )
    task_id = tasks[0]["id"]
    first = agent.post(
        f"{API}/outreach/tasks/{task_id}/attempts",
        {"result": "no_answer", "at": at.isoformat()},
        content_type="application/json",
    )
    assert first.status_code == 201, first.content
    assert first.json()["attempts"] == 1 and first.json()["status"] == "open"
    # but not one in the quiet hours
    late = agent.post(
        f"{API}/outreach/tasks/{task_id}/attempts",
        {"result": "no_answer", "at": at.replace(hour=23).isoformat()},
        content_type="application/json",
    )
    assert late.status_code == 409 and "免打扰时段" in late.json()["detail"]
    # nor a result that does not exist
    bad = agent.post(
        f"{API}/outreach/tasks/{task_id}/attempts",
        {"result": "maybe", "at": at.isoformat()},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "result"
    accepted = agent.post(
        f"{API}/outreach/tasks/{task_id}/attempts",
        {"result": "accepted", "note": "同意九折", "at": at.replace(hour=11).isoformat()},
        content_type="application/json",
    )
    assert accepted.status_code == 201 and accepted.json()["status"] == "accepted"

    # then the report compares the groups so far, with the spending
    report = _as(api_client, world.analyst.user.username).get(
        f"{API}/campaigns/{campaign_id}/report"
    )
    body = report.json()
    assert report.status_code == 200 and body["final"] is False
    assert body["overall"]["treated"] + body["overall"]["control"] == detail["targets"]
    assert body["overall"]["ci_low"] <= body["overall"]["incremental_retention"]
    assert body["tasks"]["accepted"] == 1 and body["attempts"] == 2
    accepted_task = OutreachTask.objects.get(pk=task_id)
    assert body["offer_cost"] == f"{accepted_task.offer_cost:.2f}"


def test_scope_and_queues(world, api_client):
    # given a running campaign over one branch, called by the grid teams
    campaign = s.campaign_create(
        actor=world.analyst.user,
        name="Branch calls",
        offers=offers(),
        budget=Decimal("20000"),
        starts_on=timezone.localdate() - dt.timedelta(days=3),
        ends_on=timezone.localdate() + dt.timedelta(days=30),
        unit=world.branch,
        channel=Campaign.Channel.GRID,
        seed=2,
    )
    s.campaign_target(campaign=campaign, actor=world.analyst.user)
    s.campaign_launch(campaign=campaign, actor=world.analyst.user)
    assert campaign.targets.exclude(customer__unit__path__startswith=world.branch.path).count() == 0
    mine = OutreachTask.objects.filter(campaign=campaign, unit=world.grid).first()
    assert mine is not None

    # then a grid lead of another branch sees neither the campaign nor its tasks
    foreign = _as(api_client, world.foreign_grid_lead.user.username)
    assert foreign.get(f"{API}/campaigns/{campaign.pk}").status_code == 404
    assert foreign.get(f"{API}/outreach/tasks/{mine.pk}").status_code == 404
    assert foreign.get(f"{API}/outreach/tasks").json() == []
    # and the grid lead of the customer's grid sees and works the task
    lead = _as(api_client, world.grid_lead.user.username)
    assert lead.get(f"{API}/outreach/tasks/{mine.pk}").status_code == 200
    at = dt.datetime.combine(
        timezone.localdate() - dt.timedelta(days=1), dt.time(15, 0), tzinfo=SHANGHAI
    )
    worked = lead.post(
        f"{API}/outreach/tasks/{mine.pk}/attempts",
        {"result": "declined", "at": at.isoformat()},
        content_type="application/json",
    )
    assert worked.status_code == 201, worked.content
    # and a hotline agent does not see the grid team's queue
    agent = _as(api_client, world.hotline_agent.user.username)
    assert agent.get(f"{API}/outreach/tasks/{mine.pk}").status_code == 404
    # and campaigns themselves are for those who manage or supervise retention
    assert lead.get(f"{API}/campaigns/{campaign.pk}").status_code == 404
    assert lead.post(f"{API}/campaigns/{campaign.pk}/close").status_code == 404
    # and a control member is never in anyone's queue
    control = campaign.targets.filter(arm=CampaignTarget.Arm.CONTROL).values_list("pk", flat=True)
    assert control and not OutreachTask.objects.filter(target_id__in=list(control)).exists()
