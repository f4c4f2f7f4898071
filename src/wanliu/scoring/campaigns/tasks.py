"""Background jobs of proactive campaigns, fired by ``wanliu worker``.

- ``campaign_target_task(campaign_id, model, actor_id)``: target a draft campaign (queued
  on commit by ``campaign_targeting_request``); safe twice: a campaign that is no longer a
  draft is left alone; a refusal is recorded on the campaign for its page to show.
- ``uplift_train_task(actor_id)``: learn the uplift model from every closed campaign.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django_tasks import task

from wanliu.scoring.campaigns.errors import CampaignError
from wanliu.scoring.campaigns.services import (
    campaign_target,
    campaign_targeting_failed,
    uplift_model_train,
)
from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.models import Campaign


def _actor(actor_id: int | None) -> Any:
    if actor_id is None:
        return None
    return get_user_model().objects.filter(pk=actor_id, is_active=True).first()


@task()
def campaign_target_task(campaign_id: int, model: str, actor_id: int | None) -> dict[str, Any]:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Campaign.Status.DRAFT:
        return {"campaign": campaign_id, "skipped": True}
    try:
        campaign = campaign_target(campaign=campaign, actor=_actor(actor_id), model=model)
    except (CampaignError, EngineError) as exc:
        message = exc.message if isinstance(exc, CampaignError) else str(exc)
        campaign_targeting_failed(campaign_id=campaign_id, message=message)
        return {"campaign": campaign_id, "error": message}
    return {"campaign": campaign.pk, "status": campaign.status}


@task()
def uplift_train_task(actor_id: int | None) -> dict[str, Any]:
    try:
        return uplift_model_train(actor=_actor(actor_id), force=True)
    except (CampaignError, EngineError) as exc:
        return {"error": exc.message if isinstance(exc, CampaignError) else str(exc)}
