"""Configuration from the environment: refuse to run production without a real secret, explain bad values,
and send production cookies only over HTTPS with the ``__Host-`` prefix."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, session

from webapp import create_app
from webapp.config import ConfigError, load_config

from .security.helpers import assert_clean_failure, run_cli

SECRET = "s3cr3t-" + "x" * 25


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"BAGUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'baguan.sqlite3'}", **values}


@pytest.mark.parametrize("secret", [None, "", "short", "dev-only-secret", "x" * 15])
def test_production_refuses_a_missing_or_short_secret(tmp_path: Path, secret: str | None) -> None:
    env = _env(tmp_path, BAGUAN_ENV="production")
    if secret is not None:
        env["BAGUAN_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="BAGUAN_SECRET_KEY"):
        load_config(env)
    with pytest.raises(ConfigError, match="BAGUAN_SECRET_KEY"):
        create_app(environ=env)


def test_production_is_the_default_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BAGUAN_SECRET_KEY"):
        load_config(_env(tmp_path))
    assert load_config(_env(tmp_path, BAGUAN_SECRET_KEY=SECRET))["BAGUAN_ENV"] == "production"


def test_init_db_refuses_to_start_production_without_a_secret(tmp_path: Path) -> None:
    result = run_cli(f"sqlite:///{tmp_path / 'baguan.sqlite3'}", "init-db", env={"BAGUAN_ENV": "production"})
    line = assert_clean_failure(result)
    assert "BAGUAN_SECRET_KEY" in line
    assert not (tmp_path / "baguan.sqlite3").exists()


@pytest.mark.parametrize("mode", ["development", "testing"])
def test_development_and_testing_run_without_a_secret(tmp_path: Path, mode: str) -> None:
    config = load_config(_env(tmp_path, BAGUAN_ENV=mode))
    assert config["SECRET_KEY"] and config["BAGUAN_ENV"] == mode
    assert create_app(environ=_env(tmp_path, BAGUAN_ENV=mode)).config["SECRET_KEY"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("BAGUAN_PORT", "http", "BAGUAN_PORT 必须是整数"),
    ("BAGUAN_PORT", "5000.5", "BAGUAN_PORT 必须是整数"),
    ("BAGUAN_PORT", "0", "BAGUAN_PORT 超出范围"),
    ("BAGUAN_PORT", "70000", "BAGUAN_PORT 超出范围"),
    ("BAGUAN_PORT", "-1", "BAGUAN_PORT 超出范围"),
    ("BAGUAN_WORKERS", "many", "BAGUAN_WORKERS 必须是整数"),
    ("BAGUAN_SESSION_HOURS", "eight", "BAGUAN_SESSION_HOURS 必须是整数"),
    ("BAGUAN_ENV", "staging", "BAGUAN_ENV 必须是"),
    ("BAGUAN_DATABASE_URL", "mysql://root@localhost/baguan", "BAGUAN_DATABASE_URL"),
])
def test_bad_values_are_clear_errors(tmp_path: Path, name: str, value: str, message: str) -> None:
    env = _env(tmp_path, BAGUAN_ENV="development")
    env[name] = value
    with pytest.raises(ConfigError) as error:
        load_config(env)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_bad_port_is_one_line_from_the_cli(tmp_path: Path) -> None:
    result = run_cli(f"sqlite:///{tmp_path / 'baguan.sqlite3'}", "init-db", env={"BAGUAN_PORT": "http"})
    assert "BAGUAN_PORT 必须是整数" in assert_clean_failure(result)


def test_valid_values_are_used(tmp_path: Path) -> None:
    config = load_config(_env(tmp_path, BAGUAN_ENV="development", BAGUAN_PORT="8080", BAGUAN_HOST="0.0.0.0",
                              BAGUAN_WORKERS="3", BAGUAN_SESSION_HOURS="12"))
    assert (config["PORT"], config["HOST"], config["WORKERS"]) == (8080, "0.0.0.0", 3)
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'baguan.sqlite3'}"


def _cookie_after_login_state(app: Flask) -> str:
    @app.get("/_probe_cookie")
    def probe() -> str:
        session["probe"] = "1"
        return "ok"

    response = app.test_client().get("/_probe_cookie", base_url="https://baguan.example")
    [cookie] = response.headers.getlist("Set-Cookie")
    return cookie


def test_production_cookies_are_secure_httponly_lax_and_host_prefixed(tmp_path: Path) -> None:
    app = create_app(environ=_env(tmp_path, BAGUAN_ENV="production", BAGUAN_SECRET_KEY=SECRET))
    config = app.config
    assert (config["SESSION_COOKIE_NAME"], config["SESSION_COOKIE_SECURE"], config["SESSION_COOKIE_HTTPONLY"],
            config["SESSION_COOKIE_SAMESITE"]) == ("__Host-baguan", True, True, "Lax")
    assert (config["REMEMBER_COOKIE_SECURE"], config["REMEMBER_COOKIE_SAMESITE"]) == (True, "Lax")
    assert config["DEBUG"] is False and config["TESTING"] is False
    cookie = _cookie_after_login_state(app)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith("__Host-baguan=")
    assert {"secure", "httponly", "path", "samesite"} <= attributes and "domain" not in attributes
    assert "Path=/;" in cookie + ";" and "SameSite=Lax" in cookie


def test_development_cookies_work_over_plain_http(tmp_path: Path) -> None:
    app = create_app(environ=_env(tmp_path, BAGUAN_ENV="development"))
    assert (app.config["SESSION_COOKIE_NAME"], app.config["SESSION_COOKIE_SECURE"]) == ("baguan_session", False)
    cookie = _cookie_after_login_state(app)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_a_too_short_audit_key_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigError, match="BAGUAN_AUDIT_KEY"):
        load_config({"BAGUAN_ENV": "development", "BAGUAN_AUDIT_KEY": "short"})
    assert load_config({"BAGUAN_ENV": "development", "BAGUAN_AUDIT_KEY": "long-enough-key"})["AUDIT_KEY"] == "long-enough-key"
