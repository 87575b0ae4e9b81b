"""The service worker at /sw.js."""

from pathlib import Path

import notifications

SW = Path(notifications.__file__).parent / "static" / "notifications" / "sw.js"


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert response.content.decode() == SW.read_text()
    assert "showNotification" in response.content.decode()


def test_only_get(client):
    assert client.post("/sw.js").status_code == 405
