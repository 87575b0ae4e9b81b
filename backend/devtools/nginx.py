"""nginx (the system's package) in front of chat servers, with the site configuration
shipped in docker/nginx/chat.conf.

Only the addresses change: the upstream servers, the port nginx listens on, and
the trusted proxy (none: 127.0.0.1/32, as the compose file's default). Everything
else (WebSocket upgrades, proxy headers, static files, timeouts, body size) is the
shipped file's.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devtools.chat_server import BACKEND_DIR
from devtools.waiting import port_open, stop_process, wait_until

SITE_CONFIG = BACKEND_DIR.parent / "docker" / "nginx" / "chat.conf"
# The types nginx's own main configuration includes (the nginx image's does too):
# module scripts are only run when served as JavaScript.
MIME_TYPES = Path("/etc/nginx/mime.types")
UPSTREAM_SERVER = re.compile(r"^(\s*)server app:8000( [^;]*)?;$", re.MULTILINE)
LISTEN = re.compile(r"^(\s*)listen 80;$", re.MULTILINE)
TRUSTED_PROXY = "${NGINX_TRUSTED_PROXY}"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


def _replace_once(pattern: re.Pattern, replace, text: str) -> str:
    text, count = pattern.subn(replace, text)
    if count != 1:
        raise ValueError(f"{SITE_CONFIG.name}: expected one line matching {pattern.pattern!r}")
    return text


def site_config(upstreams: list[str], port: int, trusted_proxy: str = "127.0.0.1/32") -> str:
    """The shipped site configuration, pointed at ``upstreams`` (host:port each)."""
    text = SITE_CONFIG.read_text()
    text = _replace_once(
        UPSTREAM_SERVER,
        lambda m: "\n".join(f"{m[1]}server {up}{m[2] or ''};" for up in upstreams),
        text,
    )
    text = _replace_once(LISTEN, lambda m: f"{m[1]}listen 127.0.0.1:{port};", text)
    if TRUSTED_PROXY not in text:
        raise ValueError(f"{SITE_CONFIG.name}: expected {TRUSTED_PROXY}")
    return text.replace(TRUSTED_PROXY, trusted_proxy)


@dataclass
class Nginx:
    binary: str
    port: int
    upstreams: list[str]
    work_dir: Path
    # A TLS-terminating proxy in front whose forwarded headers are believed (none).
    trusted_proxy: str = "127.0.0.1/32"
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _main_config(self) -> Path:
        folder = self.work_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "chat.conf").write_text(
            site_config(self.upstreams, self.port, self.trusted_proxy)
        )
        temp = "\n".join(
            f"    {kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # Started by root, nginx's workers would otherwise become "nobody", who can't
        # read the test's folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        main = folder / "nginx.conf"
        main.write_text(
            f"daemon off;\n{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\n"
            "events { worker_connections 4096; }\n"
            f"http {{\n    include {MIME_TYPES};\n    default_type application/octet-stream;\n"
            "    access_log off;\n" + temp + f"\n    include {folder / 'chat.conf'};\n}}\n"
        )
        return main

    def start(self, timeout: float = 15) -> "Nginx":
        config = self._main_config()
        log = open(self.work_dir / "nginx.out", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.work_dir), "-e", str(self.work_dir / "error.log"),
             "-c", str(config)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        log.close()

        def listening() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}: see {log.name}")
            return port_open("127.0.0.1", self.port)

        wait_until(listening, timeout=timeout, what=f"nginx on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)
        self.process = None
