from urllib.parse import quote

import pytest

from chat.identity import Identity
from chat.services.storing import message_store
from chat.tests.membership import client_of, post

pytestmark = pytest.mark.django_db


def test_root_redirects_to_the_room_index(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/chat/"


def test_index_shows_the_room_name_form(client):
    response = client.get("/chat/")
    assert response.status_code == 200
    assert b'id="room-name-input"' in response.content
    assert b'id="room-name-submit"' in response.content


@pytest.mark.parametrize("name", ["lobby", "café", "日本語", "Ελληνικά", "dev-ops_2"])
def test_index_sends_a_valid_name_to_its_room(client, name):
    response = client.get("/chat/", {"room": name})
    assert response.status_code == 302
    assert response["Location"] == f"/chat/{quote(name)}/"


def test_index_trims_surrounding_spaces(client):
    response = client.get("/chat/", {"room": "  lobby "})
    assert response["Location"] == "/chat/lobby/"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("a/b", "slashes"), ("   ", "Enter a room name"), ("x" * 101, "at most 100")],
)
def test_index_explains_a_bad_name(client, name, reason):
    response = client.get("/chat/", {"room": name})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert 'id="room-name-error"' in response.content.decode()


@pytest.mark.parametrize("name", ["lobby", "café", "日本語", "Ελληνικά", "dev-ops_2"])
def test_room_page_renders_for_unicode_names(client, name):
    response = client.get(f"/chat/{quote(name)}/")
    assert response.status_code == 200
    body = response.content.decode()
    for element_id in ("chat-log", "chat-message-input", "chat-message-submit"):
        assert f'id="{element_id}"' in body
    assert 'id="connection-status"' in body


def test_room_with_bad_characters_answers_400_with_the_reason(client):
    response = client.get(f"/chat/{quote('semi;colon')}/")
    assert response.status_code == 400
    assert "Room names may contain only letters" in response.content.decode()


def test_overlong_room_name_answers_400(client):
    response = client.get("/chat/" + "x" * 101 + "/")
    assert response.status_code == 400
    assert "at most 100" in response.content.decode()


def test_room_path_with_a_slash_answers_a_readable_404(client, settings):
    settings.DEBUG = False
    response = client.get("/chat/a/b/")
    assert response.status_code == 404
    assert "Room names can't contain slashes" in response.content.decode()


def test_static_files_are_served_with_debug_off(client, settings):
    settings.DEBUG = False
    response = client.get("/static/chat/chat.css")
    assert response.status_code == 200


def _seed(room: str, count: int) -> None:
    writer = Identity("guest:w", "writer", True)
    for n in range(1, count + 1):
        message_store(room_name=room, identity=writer, text=f"m{n}", nonce=None)


def test_messages_endpoint_pages_back_from_before(client):
    _seed("paging", 30)
    body = client.get("/chat/paging/messages/", {"before": 21, "limit": 5}).json()
    assert [m["seq"] for m in body["messages"]] == [16, 17, 18, 19, 20]
    assert body["has_more"] is True
    assert body["messages"][0]["message"] == "m16"
    assert body["messages"][0]["type"] == "message"


def test_messages_endpoint_says_when_the_start_is_reached(client):
    _seed("start", 3)
    body = client.get("/chat/start/messages/", {"before": 3, "limit": 5}).json()
    assert [m["seq"] for m in body["messages"]] == [1, 2]
    assert body["has_more"] is False


def test_messages_endpoint_around_a_seq_gives_it_in_context(client):
    _seed("context", 30)
    body = client.get("/chat/context/messages/", {"around": 12, "limit": 6}).json()
    assert [m["seq"] for m in body["messages"]] == [9, 10, 11, 12, 13, 14]
    assert body["has_more"] is True and body["has_newer"] is True


def test_messages_endpoint_around_the_last_seq_has_nothing_newer(client):
    _seed("ending", 5)
    body = client.get("/chat/ending/messages/", {"around": 5, "limit": 4}).json()
    assert [m["seq"] for m in body["messages"]] == [3, 4, 5]
    assert body["has_more"] is True and body["has_newer"] is False


def test_messages_endpoint_without_before_gives_the_latest(client):
    _seed("latest", 60)
    body = client.get("/chat/latest/messages/").json()
    assert [m["seq"] for m in body["messages"]] == list(range(11, 61))


def test_messages_endpoint_of_an_unknown_room_is_empty(client):
    body = client.get("/chat/nobody/messages/").json()
    assert body == {"messages": [], "has_more": False}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"before": "x"}, "invalid_before"),
        ({"before": "-3"}, "invalid_before"),
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "500"}, "invalid_limit"),
        ({"limit": "many"}, "invalid_limit"),
        ({"before": "9" * 5000}, "invalid_before"),
        ({"limit": "9" * 5000}, "invalid_limit"),
        ({"before": str(2**63)}, "invalid_before"),
        ({"around": "x"}, "invalid_around"),
    ],
)
def test_messages_endpoint_explains_bad_parameters(client, params, code, caplog):
    response = client.get("/chat/lobby/messages/", params)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_messages_endpoint_rejects_a_bad_room_name(client):
    response = client.get("/chat/semi;colon/messages/")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_room"


def test_a_visitor_gets_a_guest_name_that_survives_reloads(client):
    client.post("/accounts/guest/")  # as the room page does before it connects
    first = client.get("/chat/lobby/").context["identity"]
    again = client.get("/chat/lobby/").context["identity"]
    assert first.is_guest and first.name.startswith("guest-")
    assert again == first


def test_the_search_page_lists_results_linking_to_the_message(alice):
    post("lobby", alice, "the <i>release</i> is out")
    page = client_of(alice).get("/search/", {"q": "release"}).content.decode()
    assert 'href="/chat/lobby/?around=1"' in page
    assert "<mark>release</mark>" in page and "<i>" not in page


def test_the_search_page_says_why_a_query_cant_be_searched(alice):
    response = client_of(alice).get("/search/", {"q": "-"})
    assert response.status_code == 400 and "at least one word" in response.content.decode()


def test_the_emoji_catalog_lists_every_reaction_with_its_names(client):
    response = client.get("/emoji.json")
    assert response.status_code == 200
    catalog = {entry[0]: entry[1:] for entry in response.json()["emoji"]}
    assert catalog["👍"][0] == "thumbs up"
    assert "🎉" in catalog and "❤️" in catalog
    assert not any("skin tone" in names[0] for names in catalog.values())
    assert "max-age" in response["Cache-Control"]
