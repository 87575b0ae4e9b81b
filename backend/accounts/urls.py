from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import LoginForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("name/", views.guest_name, name="guest-name"),
    path("guest/", views.guest, name="guest"),
    path("tokens/", views.tokens, name="tokens"),
]
