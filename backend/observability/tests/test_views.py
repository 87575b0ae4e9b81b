import re

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import AsyncClient

from chat.services import messages
from chat.tests.helpers import FakeClock
from observability import views

pytestmark = pytest.mark.django_db(transaction=True)


async def test_healthz_answers_while_the_process_lives():
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_database_and_redis_answer():
    response = await AsyncClient().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "database": "ok", "migrations": "ok", "redis": "ok", "storage": "ok",
    }  # fmt: skip


async def test_readyz_is_503_while_a_migration_is_pending(monkeypatch):
    monkeypatch.setattr(views, "migrations", views.Migrations())
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="chat").order_by("-id").values_list("name")
    [name] = await sync_to_async(lambda: latest[0])()
    app = "chat"
    await sync_to_async(recorder.record_unapplied)(app, name)
    try:
        response = await AsyncClient().get("/readyz")
        assert (response.status_code, response.json()["migrations"]) == (503, "pending")
    finally:
        await sync_to_async(recorder.record_applied)(app, name)
    response = await AsyncClient().get("/readyz")
    assert (response.status_code, response.json()["migrations"]) == (200, "ok")


async def test_readyz_is_503_while_messages_cannot_be_stored(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(messages, "storage", messages.StorageHealth(clock))
    messages.storage.failed()  # say the disk is full
    response = await AsyncClient().get("/readyz")
    assert (response.status_code, response.json()["storage"]) == (503, "unavailable")
    clock.advance(messages.STORAGE_TROUBLE_SHOWN_FOR + 1)  # nothing failed since
    assert (await AsyncClient().get("/readyz")).status_code == 200


async def test_readyz_names_redis_when_it_is_down_and_recovers(own_redis):
    assert (await AsyncClient().get("/readyz")).status_code == 200
    await sync_to_async(own_redis.stop)()
    response = await AsyncClient().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"].startswith("unavailable")
    await sync_to_async(own_redis.start)()
    assert (await AsyncClient().get("/readyz")).status_code == 200


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def _metrics() -> str:
    response = await AsyncClient().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


async def test_metrics_move_with_traffic(connect_room, settings):
    settings.CHAT_RATE_LIMIT = 1
    settings.CHAT_RATE_BURST = 1
    before = await _metrics()
    alice = await connect_room("metrics")
    bob = await connect_room("metrics")
    await alice.post("counted")
    await bob.receive()
    await alice.send({"message": "too fast"})
    await alice.receive()
    await alice.send_text("not json")
    await alice.receive()
    after = await _metrics()

    def grew(name: str) -> float:
        return _metric(after, name) - _metric(before, name)

    assert grew("chat_messages_posted_total") == 1
    assert grew("chat_messages_delivered_total") == 2
    assert grew("chat_rate_limited_total") == 1
    assert grew('chat_errors_total{code="invalid_json"}') == 1
    assert grew("chat_connections_open") == 2
