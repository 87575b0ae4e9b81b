"""A link preview's image, for those who may read the message's room."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.decorators.http import require_GET

from chat.access import Forbidden, room_access
from chat.models import Message
from chat.views import file_response
from previews.service import preview_image


@require_GET
def image(request, message_id: int):
    room_name = Message.objects.filter(pk=message_id).values_list("room__name", flat=True).first()
    if room_name is None:
        raise Http404("No such preview.")
    user_id = request.user.pk if request.user.is_authenticated else None
    try:
        room_access(room_name=room_name, user_id=user_id)
    except Forbidden:
        raise PermissionDenied("Only people who may read this room can see its previews.") from None
    stored = preview_image(message_id)
    if stored is None:
        raise Http404("This preview has no image.")
    return file_response(stored, name="preview.webp", content_type="image/webp", inline=True)
