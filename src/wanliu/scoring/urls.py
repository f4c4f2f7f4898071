from django.urls import path

from wanliu.scoring import views

app_name = "scoring"

urlpatterns = [
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/uplift-train/", views.uplift_train, name="uplift_train"),
    path("campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path(
        "campaigns/<int:campaign_id>/do/<slug:action>/",
        views.campaign_action,
        name="campaign_action",
    ),
    path("outreach/", views.outreach, name="outreach"),
    path("outreach/<int:task_id>/", views.outreach_task, name="outreach_task"),
]
