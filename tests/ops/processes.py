"""Starting real ``baguan`` processes for the operations tests, and talking HTTP to them."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..conftest import PROJECT_ROOT

BAGUAN = PROJECT_ROOT / ".venv" / "bin" / "baguan"
SECRET = "ops-test-secret-key-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def baguan_env(db_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGUAN_") and k != "XDG_RUNTIME_DIR"}
    env.update({"BAGUAN_ENV": "development", "BAGUAN_SECRET_KEY": SECRET, "BAGUAN_DATABASE_URL": db_url,
                "BAGUAN_WORKERS": "1", "BAGUAN_INSTANCE_DIR": str(home / "instance"), "HOME": str(home)})
    env.update(extra)
    return env


def baguan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BAGUAN), *args], env=env, capture_output=True, text=True, timeout=180, check=False)


def wait_until_ready(url: str, seconds: float = 30) -> int:
    """The status of ``url`` once it answers 200, or its last answer after ``seconds`` (/readyz answers 503 until
    the worker's first heartbeat, which may come after the web server is up)."""
    deadline = time.monotonic() + seconds
    while (status := wait_for(url, seconds)) != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return status


def wait_for(url: str, seconds: float = 30) -> int:
    """The HTTP status of the first answer from ``url``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL built by the test
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def port_closed(port: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


def stop(process: subprocess.Popen[str]) -> str:
    """Terminate a process we started and return what it printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


@dataclass
class Browser:
    """A cookie-keeping HTTP client that logs in through the HTML form (CSRF token included)."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def opener(self) -> urllib.request.OpenerDirector:
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, base: str | None = None) -> tuple[int, str]:
        try:
            with self.opener().open((base or self.base) + path, timeout=30) as response:
                return int(response.status), response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode("utf-8")

    def login(self, username: str, password: str) -> int:
        _status, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, page[:500]
        body = urllib.parse.urlencode({"csrf_token": token[1], "username": username, "password": password}).encode()
        request = urllib.request.Request(self.base + "/login", data=body, method="POST")
        try:
            with self.opener().open(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def api(base: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(base + "/api/v1" + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback URL built by the test
            return int(response.status), _json_or_text(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), _json_or_text(error.read() or b"null")


def _json_or_text(body: bytes) -> Any:
    """The answer's JSON, or its text when it is not JSON (a server's bare error page), for the test to report."""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
