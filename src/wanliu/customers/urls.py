from django.urls import path

from wanliu.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:customer_id>/", views.detail, name="detail"),
    path("<int:customer_id>/national-id/", views.national_id, name="national_id"),
]
