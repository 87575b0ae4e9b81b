from django.urls import path

from notifications import views

urlpatterns = [
    path("sw.js", views.service_worker, name="service-worker"),
]
