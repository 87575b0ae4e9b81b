from django.urls import path

from organization import views

urlpatterns = [
    path("people/", views.people, name="people"),
]
