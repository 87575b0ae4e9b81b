import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor.settings")
django_asgi_app = get_asgi_application()

from asgiref.sync import async_to_sync  # noqa: E402
from channels.generic.websocket import WebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402


class TutorialConsumer(WebsocketConsumer):
    def connect(self):
        self.group_name = "chat_" + self.scope["url_route"]["kwargs"]["room_name"]
        async_to_sync(self.channel_layer.group_add)(self.group_name, self.channel_name)
        self.accept()

    def disconnect(self, code):
        async_to_sync(self.channel_layer.group_discard)(self.group_name, self.channel_name)

    def receive(self, text_data):
        message = json.loads(text_data)["message"]
        async_to_sync(self.channel_layer.group_send)(
            self.group_name, {"type": "chat.message", "message": message}
        )

    def chat_message(self, event):
        self.send(text_data=json.dumps({"message": event["message"]}))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [re_path(r"^ws/chat/(?P<room_name>[\w-]+)/$", TutorialConsumer.as_asgi())]
        ),
    }
)
