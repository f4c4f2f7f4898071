from django.urls import path

from wanliu.analytics import views

app_name = "analytics"

urlpatterns = [
    path("monthly/", views.monthly, name="monthly"),
    path("monthly/export/", views.export, name="export"),
    path("monthly/store/<int:store_id>/", views.store, name="store"),
    path("monthly/staff/<int:staff_id>/", views.staff, name="staff"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/new/", views.tasks_create, name="tasks_create"),
    path("tasks/<int:task_id>/done/", views.task_done, name="task_done"),
]
