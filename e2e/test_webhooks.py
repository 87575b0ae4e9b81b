"""An outgoing webhook whose receiver fails for a while gets every event once, in order,
signed, even though the chat restarts meanwhile (the queue is in the database); a slash
command's answer shows to its sender alone."""

import json
import os
import subprocess
import sys

from playwright.sync_api import expect

from devtools.chat_server import BACKEND_DIR
from devtools.waiting import wait_until
from devtools.webhook_receiver import Receiver
from e2e.pages import RoomPage, sign_up

API = """async ([method, path, body]) => {
    const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))
        ?.split("=")[1] ?? JSON.parse(document.getElementById("csrf-token").textContent);
    const response = await fetch(path, {
        method, credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: body === null ? undefined : JSON.stringify(body),
    });
    return [response.status, await response.json()];
}"""


def test_a_failing_receiver_gets_every_event_once_in_order_across_a_restart(
    browser, fresh_server, web_site
):
    receiver = Receiver(fail=1_000_000).start()
    try:
        server = fresh_server(
            CHAT_OUTBOUND_ALLOW_HOSTS=f"127.0.0.1:{web_site.port},127.0.0.1:{receiver.port}",
            CHAT_OUTGOING_RETRY_SECONDS="0.2",
            CHAT_OUTGOING_POLL_SECONDS="0.2",
        )
        context = browser.new_context(base_url=server.base_url)
        page = sign_up(context, "hooked")

        def call(method: str, path: str, body=None):
            return page.evaluate(API, [method, path, body])

        status, made = call(
            "POST", "/api/rooms/general/outgoing-webhooks/",
            {"url": receiver.url, "events": ["message", "edit"], "name": "relay"},
        )  # fmt: skip
        assert status == 201, made
        sent = []
        for n in range(3):
            status, message = call("POST", "/api/rooms/general/messages/", {"message": f"m{n}"})
            assert status == 201, message
            sent.append(message["seq"])
        wait_until(lambda: receiver.refused >= 3, timeout=30, what="retries of the first event")
        server.stop()
        server.start()
        page.reload()
        RoomPage(page).expect_connected()
        for n in range(3, 5):
            status, message = call("POST", "/api/rooms/general/messages/", {"message": f"m{n}"})
            assert status == 201, message
            sent.append(message["seq"])
        status, _ = call("POST", "/api/rooms/general/messages/", {"message": "m5"})
        receiver.fail = 0  # the receiver works again
        wait_until(lambda: len(receiver.received) >= 6, timeout=60, what="every event")
        events = receiver.events()
        assert [e["message"]["message"] for e in events] == [f"m{n}" for n in range(6)]
        assert [e["seq"] for e in events[:5]] == sent
        assert all(r.signed_by(made["secret"]) for r in receiver.received)
        assert len({r.delivery for r in receiver.received}) == len(receiver.received) == 6
        assert {e["type"] for e in events} == {"message"} and {e["room"] for e in events} == {
            "general"
        }
        _, listed = call("GET", "/api/rooms/general/outgoing-webhooks/")
        assert listed["outgoing_webhooks"][0]["pending"] == 0
        assert json.dumps(listed).count(made["secret"]) == 0
        context.close()
    finally:
        receiver.stop()


def test_a_slash_commands_answer_shows_to_its_sender_alone(browser, fresh_server, web_site):
    receiver = Receiver(reply={"text": "Sunny, 21 °C"}).start()
    try:
        server = fresh_server(
            CHAT_OUTBOUND_ALLOW_HOSTS=f"127.0.0.1:{web_site.port},127.0.0.1:{receiver.port}"
        )
        context = browser.new_context(base_url=server.base_url)
        page = sign_up(context, "forecaster")
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from django.contrib.auth.models import User; "
             "User.objects.filter(username='forecaster').update(is_staff=True)"],
            cwd=BACKEND_DIR, env={**os.environ, **server.env}, check=True,
        )  # fmt: skip
        status, made = page.evaluate(
            API, ["POST", "/api/commands/", {"name": "weather", "url": receiver.url}]
        )
        assert status == 201, made
        room = RoomPage(page)
        room.expect_connected()
        room.send("/weather paris")
        answer = page.locator("#chat-log .message.ephemeral", has_text="Sunny, 21 °C")
        expect(answer).to_be_visible()
        expect(answer).to_contain_text("only visible to you")
        assert receiver.received[0].body.startswith(b"command=%2Fweather&text=paris")
        page.reload()
        room.expect_connected()
        expect(page.get_by_text("Sunny, 21 °C")).to_have_count(0)  # never stored
        context.close()
    finally:
        receiver.stop()
