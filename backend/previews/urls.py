from django.urls import path

from previews import views

urlpatterns = [
    path("previews/<int:message_id>/image/", views.image, name="preview_image"),
]
