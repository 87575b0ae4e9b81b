from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as accounts_views
from api.site import api
from chat import views as chat_views
from chat.jsi18n import javascript_catalog
from organization import views as organization_views

# Django's admin signs in through the site's log-in, so second factors and lockouts apply.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="chat:index", permanent=False)),
    path("chat/", include("chat.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", api.urls),
    # The language switcher posts to Django's set_language (people.languages keeps a
    # signed-in person's choice on their profile).
    path("i18n/", include("django.conf.urls.i18n")),
    # The page scripts' words in the reader's language (chat.jsi18n).
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
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
