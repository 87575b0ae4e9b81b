from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as accounts_views
from api.site import api
from chat import views as chat_views
from organization import views as organization_views

# Django's admin signs in through the site's log-in, so second factors and lockouts apply.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="chat:index", permanent=False)),
    path("chat/", include("chat.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", api.urls),
    path("invite/<str:token>/", chat_views.invitation, name="invitation"),
    path("join/<str:secret>/", organization_views.join, name="join"),
    path("setup/", accounts_views.setup, name="setup"),
    path("search/", chat_views.search, name="search"),
    path("emoji.json", chat_views.emoji_catalog, name="emoji_catalog"),
    path("", include("organization.urls")),
    path("", include("people.urls")),
    path("", include("previews.urls")),
    path(
        "files/<str:key>/thumbnail/", chat_views.attachment_thumbnail, name="attachment_thumbnail"
    ),
    path("files/<str:key>/<str:name>", chat_views.attachment_file, name="attachment"),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
    path("", include("observability.urls")),
]
