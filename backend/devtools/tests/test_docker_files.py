"""The Docker files, checked without a Docker engine: Compose resolves and validates
them (``docker compose config`` needs none), and the production stack is one an
upgrade and `--scale app=3` can run."""

import shutil
import subprocess

import pytest
import yaml

from devtools.chat_server import BACKEND_DIR

DOCKER_DIR = BACKEND_DIR.parent / "docker"
ENV = {"DJANGO_SECRET_KEY": "not-a-real-key", "POSTGRES_PASSWORD": "not-a-real-password"}


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _resolved(name: str) -> dict:
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    done = subprocess.run(
        [*command, "-f", str(DOCKER_DIR / name), "config"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin:/usr/local/bin", **ENV},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@pytest.mark.parametrize("name", ["compose.yml", "compose.prod.yml"])
def test_compose_accepts_the_file(name):
    assert _resolved(name)["services"]


def test_every_long_running_service_of_the_production_stack_restarts():
    services = _resolved("compose.prod.yml")["services"]
    for name in ("nginx", "app", "redis", "postgres"):
        assert services[name].get("restart") == "unless-stopped", name


def test_the_migrations_run_once_before_any_replica_and_the_replicas_only_serve():
    services = _resolved("compose.prod.yml")["services"]
    migrate, app = services["migrate"], services["app"]
    assert "migrate" in " ".join(migrate["command"])
    assert migrate.get("restart") in (None, "no")
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "migrate" not in " ".join(app["command"])
    assert app["image"] == migrate["image"]


def _mounts(service: dict) -> list[tuple[str, str]]:
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source"), volume["target"]
        mounts.append((source, target))
    return mounts


def test_uploads_live_in_one_named_volume_that_every_replica_shares():
    resolved = _resolved("compose.prod.yml")
    app = resolved["services"]["app"]
    assert ("media", "/data") in _mounts(app)  # the image's VOLUME /data, named
    assert "media" in resolved["volumes"]


def test_static_files_come_from_the_app_not_a_volume_an_upgrade_would_not_refresh():
    resolved = _resolved("compose.prod.yml")
    nginx = resolved["services"]["nginx"]
    assert not [target for _, target in _mounts(nginx) if "static" in target]
    assert "static" not in resolved.get("volumes", {})
    site = (DOCKER_DIR / "nginx" / "chat.conf").read_text()
    assert "location /static/ {\n        proxy_pass http://chat_app;" in site


def test_nginx_believes_forwarded_headers_only_from_the_trusted_proxy():
    site = (DOCKER_DIR / "nginx" / "chat.conf").read_text()
    assert "X-Forwarded-Proto $scheme" not in site
    assert "set_real_ip_from ${NGINX_TRUSTED_PROXY};" in site
    nginx = _resolved("compose.prod.yml")["services"]["nginx"]
    assert nginx["environment"]["NGINX_TRUSTED_PROXY"] == "127.0.0.1/32"
    assert ("./nginx/chat.conf", "/etc/nginx/templates/default.conf.template") in [
        (source.replace(str(DOCKER_DIR), "."), target) for source, target in _mounts(nginx)
    ]
