from django.urls import path

from wanliu.complaints.views import order, queues, survey

app_name = "complaints"

urlpatterns = [
    path("", queues.queue, name="queue"),
    path("new/", order.order_new, name="new"),
    path("caller/", order.order_caller, name="caller"),
    path("<int:order_id>/", order.order_page, name="order"),
    path("<int:order_id>/transition/", order.order_transition, name="transition"),
    path("<int:order_id>/message/", order.order_message, name="message"),
    path("<int:order_id>/assign/", order.order_assign, name="assign"),
    path("<int:order_id>/task/", order.order_task, name="task"),
    path("<int:order_id>/hand-over/", order.order_hand_over, name="hand_over"),
    path("<int:order_id>/attachment/", order.order_attachment, name="attachment"),
    path("<int:order_id>/merge/", order.order_merge, name="merge"),
    path("<int:order_id>/revisit/", order.order_revisit, name="revisit"),
    path("<int:order_id>/canned/", order.canned_reply, name="canned"),
    path("tasks/<int:task_id>/", order.task_update, name="task_update"),
    path(
        "hand-overs/<int:hand_over_id>/<str:decision>/",
        order.hand_over_decide,
        name="hand_over_decide",
    ),
    path("survey/<str:token>/", survey.survey_page, name="survey"),
]
