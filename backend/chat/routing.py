from django.urls import re_path

from chat.realtime import consumer, not_found

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<room_name>[^/]*)/$", consumer.ChatConsumer.as_asgi()),
    re_path(r"", not_found.NotFoundConsumer.as_asgi()),
]
