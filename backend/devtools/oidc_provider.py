"""A real OpenID Connect provider for the tests of single sign-on: the oidc-provider
package from npm (``devtools/oidc/``), run with Node on a free local port."""

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devtools.waiting import free_port, wait_until

FOLDER = Path(__file__).resolve().parent / "oidc"
CALLBACK_PATH = "/accounts/oidc/sso/login/callback/"
HOW_TO_GET_NODE = (
    "Single sign-on tests need Node.js 20 or newer with npm (apt-get install nodejs npm)."
)


def provider_installed() -> None:
    """Install the provider's package from its lock file, once."""
    if (FOLDER / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(HOW_TO_GET_NODE)
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=FOLDER, check=True
    )


@dataclass
class OidcProvider:
    """``start()`` it for a chat at ``chat_base_url``; ``issuer`` and the client's id and
    secret are what the chat's CHAT_OIDC_* settings name."""

    chat_base_url: str
    port: int = field(default_factory=free_port)
    client_id: str = "chat"
    client_secret: str = "a-test-client-secret-of-enough-length"
    email_domain: str = "example.com"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> dict[str, str]:
        return {
            "CHAT_OIDC_ISSUER": self.issuer,
            "CHAT_OIDC_CLIENT_ID": self.client_id,
            "CHAT_OIDC_CLIENT_SECRET": self.client_secret,
        }

    def start(self, log_path: Path) -> "OidcProvider":
        provider_installed()
        node = shutil.which("node") or shutil.which("nodejs")
        if node is None:
            raise RuntimeError(HOW_TO_GET_NODE)
        redirect_uri = self.chat_base_url.rstrip("/") + CALLBACK_PATH
        self._log = open(log_path, "w")  # noqa: SIM115  (closed in stop())
        self._process = subprocess.Popen(
            [node, "provider.mjs", str(self.port), self.client_id, self.client_secret,
             redirect_uri],
            cwd=FOLDER,
            env={"PATH": os.environ.get("PATH", ""), "CHAT_OIDC_EMAIL_DOMAIN": self.email_domain},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(
            lambda: "ready" in log_path.read_text() or self._process.poll() is not None,
            timeout=30,
            what="the OpenID provider to start",
        )
        if self._process.poll() is not None:
            raise RuntimeError(f"the OpenID provider stopped: {log_path.read_text()[-2000:]}")
        return self

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()
