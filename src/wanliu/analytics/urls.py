from django.urls import path

from wanliu.analytics import views

app_name = "analytics"

urlpatterns = [
    path("monthly/", views.monthly, name="monthly"),
    path("monthly/export/", views.export, name="export"),
]
