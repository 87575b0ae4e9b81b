"""/readyz and /metrics can be restricted to a token or to networks; /healthz stays public."""

import ipaddress

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "ops-token-for-tests"


@pytest.fixture
def ops_token(settings):
    settings.CHAT_OPS_TOKEN = TOKEN


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_open_to_all_when_nothing_restricts_them(path):
    assert (await AsyncClient().get(path)).status_code == 200


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_with_a_token_set_other_requests_are_refused(ops_token, path):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = await AsyncClient().get(path, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["status"] == "forbidden"
        assert "redis" not in response.content.decode()


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_the_token_admits(ops_token, path):
    response = await AsyncClient().get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_an_allowed_network_admits_without_the_token(settings, path):
    # The test client calls from 127.0.0.1.
    settings.CHAT_OPS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert (await AsyncClient().get(path)).status_code == 403
    settings.CHAT_OPS_ALLOWED_NETWORKS.append(ipaddress.ip_network("127.0.0.0/8"))
    assert (await AsyncClient().get(path)).status_code == 200


async def test_healthz_stays_public(ops_token):
    assert (await AsyncClient().get("/healthz")).status_code == 200


async def test_readyz_does_not_name_the_host_it_cannot_reach(own_redis):
    await sync_to_async(own_redis.stop)()
    try:
        response = await AsyncClient().get("/readyz")
    finally:
        await sync_to_async(own_redis.start)()
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"
    assert str(own_redis.port) not in response.content.decode()
