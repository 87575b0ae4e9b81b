from django.urls import path

from people import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("avatars/<str:username>/<int:size>/", views.avatar, name="avatar"),
]
