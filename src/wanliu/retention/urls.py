from django.urls import path

from wanliu.retention import views

app_name = "retention"

urlpatterns = [
    path("compare/", views.compare, name="compare"),
]
