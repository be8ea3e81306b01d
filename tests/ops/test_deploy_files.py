"""The deploy/ folder is checked by the tools that will read it: systemd-analyze and nginx -t.

On CI (``.ci/run`` installs systemd and nginx) a missing tool fails the test; elsewhere it is skipped.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
BAGUAN = PROJECT_ROOT / ".venv" / "bin" / "baguan"


def _tool(name: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required on CI (.ci/run installs it)")
        pytest.skip(f"{name} is not installed here")
    return path


@pytest.mark.parametrize("unit", ["baguan-web.service", "baguan-worker.service"])
def test_the_systemd_units_verify_cleanly(unit: str, tmp_path: Path) -> None:
    text = (DEPLOY / unit).read_text(encoding="utf-8")
    assert "Restart=on-failure" in text and "EnvironmentFile=/etc/baguan/baguan.env" in text
    local = tmp_path / unit
    local.write_text(text.replace("/srv/baguan/venv/bin/baguan", str(BAGUAN)), encoding="utf-8")
    done = subprocess.run([_tool("systemd-analyze"), "verify", str(local)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = _tool("nginx")
    subprocess.run([_tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=baguan.test", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    site = (DEPLOY / "nginx-baguan.conf").read_text(encoding="utf-8")
    for needle in ("client_max_body_size", "X-Forwarded-Proto", "X-Forwarded-For", "location /static/", "ssl_certificate"):
        assert needle in site
    (tmp_path / "site.conf").write_text(site.replace("/etc/ssl/baguan/fullchain.pem", str(tmp_path / "cert.pem"))
                                        .replace("/etc/ssl/baguan/privkey.pem", str(tmp_path / "key.pem"))
                                        .replace("/srv/baguan/static/", f"{tmp_path}/static/"), encoding="utf-8")
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{mime}\naccess_log off;\ninclude {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                           "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_environment_template_names_only_real_settings() -> None:
    from webapp.config import SETTINGS
    known = {s.env for s in SETTINGS}
    names = {line.lstrip("#").split("=", 1)[0] for line in (DEPLOY / "baguan.env.example").read_text(encoding="utf-8")
             .splitlines() if "=" in line and line.lstrip("#").startswith("BAGUAN_")}
    assert names and names <= known, names - known
