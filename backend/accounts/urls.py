from allauth.account import views as allauth_views
from django.urls import include, path

from accounts import views

urlpatterns = [
    path("login/", allauth_views.login, name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("name/", views.guest_name, name="guest-name"),
    path("guest/", views.guest, name="guest"),
    path("tokens/", views.tokens, name="tokens"),
    # The rest of django-allauth's pages: e-mail, passwords, SSO, second factors.
    path("", include("allauth.urls")),
]
