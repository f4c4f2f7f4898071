"""Scoring API, mounted at /api/v1/scoring/: proactive retention campaigns, their outreach
tasks and the uplift models (``wanliu.scoring.campaigns.api``)."""

from ninja import Router

from wanliu.scoring.campaigns import api as campaigns

router = Router(tags=["scoring"])
router.add_router("", campaigns.router)

__all__ = ["router"]
