from django.urls import path

from wanliu.retention.views import compare, desk, lists

app_name = "retention"

urlpatterns = [
    path("", lists.requests, name="requests"),
    path("new/", lists.request_new, name="request_new"),
    path("requests/<int:request_id>/", desk.desk, name="desk"),
    path("requests/<int:request_id>/comparison/", desk.desk_comparison, name="desk_comparison"),
    path("requests/<int:request_id>/do/<slug:action>/", desk.desk_action, name="desk_action"),
    path("approvals/", lists.approvals, name="approvals"),
    path(
        "approvals/<int:grant_id>/<slug:decision>/",
        lists.approval_decide,
        name="approval_decide",
    ),
    path("supervision/", lists.supervision, name="supervision"),
    path("follow-ups/", lists.follow_ups, name="follow_ups"),
    path("follow-ups/<int:contact_id>/done/", lists.follow_up_done, name="follow_up_done"),
    path("win-back/", lists.win_back, name="win_back"),
    path("win-back/<int:entry_id>/outcome/", lists.win_back_outcome, name="win_back_outcome"),
    path("cases/", lists.cases, name="cases"),
    path("cases/<int:case_id>/", lists.case_detail, name="case"),
    path("compare/", compare.compare, name="compare"),
]
