"""Configuration from the environment, validated at start-up."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

from .instance import instance_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("production", "development", "testing")
MAX_PROXY_HOPS = 5


class ConfigError(RuntimeError):
    """The environment does not describe a runnable Baguan."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str | None
    description: str


SETTINGS = (
    Setting("BAGUAN_ENV", "production", "运行模式：production | development | testing"),
    Setting("BAGUAN_SECRET_KEY", None, "会话签名密钥；生产环境必填（至少 16 个字符的随机串）"),
    Setting("BAGUAN_AUDIT_KEY", None, "审计检查点和案件档案的签名密钥；默认用 BAGUAN_SECRET_KEY（应与数据库管理员隔离）"),
    Setting("BAGUAN_INSTANCE_DIR", None, "实例目录（SQLite 数据库、上传文件）；默认当前目录下的 instance/"),
    Setting("BAGUAN_DATABASE_URL", None, "数据库地址（SQLAlchemy URL）；默认实例目录下的 baguan.sqlite3"),
    Setting("BAGUAN_HOST", "127.0.0.1", "baguan serve 绑定的地址"),
    Setting("BAGUAN_PORT", "5000", "baguan serve 监听的端口"),
    Setting("BAGUAN_WORKERS", "2", "baguan serve 的 gunicorn 工作进程数"),
    Setting("BAGUAN_COOKIE_SECURE", "1", "Cookie 只走 HTTPS（仅在本机明文 http 调试时设为 0）"),
    Setting("BAGUAN_SESSION_HOURS", "8", "登录会话的最长时长（小时，操作不会延长）"),
    Setting("BAGUAN_SESSION_IDLE_MINUTES", "30", "登录后连续这么多分钟没有操作即需重新登录"),
    Setting("BAGUAN_TOKEN_DAYS", "90", "新建 API 令牌的有效期（天）"),
    Setting("BAGUAN_SMTP_HOST", None, "发送邮件通知的 SMTP 服务器；不设则只有站内通知"),
    Setting("BAGUAN_SMTP_PORT", "25", "SMTP 端口"),
    Setting("BAGUAN_SMTP_USER", None, "SMTP 用户名（可选）"),
    Setting("BAGUAN_SMTP_PASSWORD", None, "SMTP 密码（可选）"),
    Setting("BAGUAN_SMTP_FROM", "baguan@localhost", "通知邮件的发件人地址"),
    Setting("BAGUAN_SMTP_STARTTLS", "0", "1 = 用 STARTTLS 加密 SMTP 连接"),
    Setting("BAGUAN_UPLOAD_DIR", None, "附件存放目录；默认实例目录下的 uploads/（不在网站根目录内）"),
    Setting("BAGUAN_TRUSTED_PROXIES", "0", "前面有几层反向代理（nginx 为 1）：据此信任 X-Forwarded-For/Proto/Host；0 表示直连"),
    Setting("BAGUAN_HEARTBEAT_MAX_AGE", "120", "/readyz：定时器进程心跳超过这么多秒即视为未就绪"),
)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def load_config(environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build Flask config from environment variables plus explicit overrides (tests)."""
    env = dict(os.environ if environ is None else environ)
    get = lambda name: env.get(name) or next(s.default for s in SETTINGS if s.env == name)  # noqa: E731
    mode = get("BAGUAN_ENV")
    instance = instance_dir(env)
    secure = _flag(get("BAGUAN_COOKIE_SECURE")) and mode == "production"
    config: dict[str, Any] = {
        "BAGUAN_ENV": mode,
        "SECRET_KEY": env.get("BAGUAN_SECRET_KEY") or ("dev-only-secret" if mode != "production" else None),
        "DATABASE_URL": get("BAGUAN_DATABASE_URL") or f"sqlite:///{instance / 'baguan.sqlite3'}",
        "TESTING": mode == "testing",
        "SESSION_COOKIE_NAME": "__Host-baguan" if secure else "baguan_session",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int(get("BAGUAN_SESSION_HOURS"), "BAGUAN_SESSION_HOURS")),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_int(get("BAGUAN_SESSION_IDLE_MINUTES"),
                                                        "BAGUAN_SESSION_IDLE_MINUTES")),
        "TOKEN_LIFETIME": timedelta(days=_int(get("BAGUAN_TOKEN_DAYS"), "BAGUAN_TOKEN_DAYS")),
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": secure,
        "TRUSTED_PROXIES": _int(get("BAGUAN_TRUSTED_PROXIES"), "BAGUAN_TRUSTED_PROXIES"),
        "HOST": get("BAGUAN_HOST"),
        "PORT": _int(get("BAGUAN_PORT"), "BAGUAN_PORT"),
        "WORKERS": _int(get("BAGUAN_WORKERS"), "BAGUAN_WORKERS"),
        "SMTP_HOST": get("BAGUAN_SMTP_HOST"), "SMTP_PORT": _int(get("BAGUAN_SMTP_PORT"), "BAGUAN_SMTP_PORT"),
        "SMTP_USER": get("BAGUAN_SMTP_USER"), "SMTP_PASSWORD": get("BAGUAN_SMTP_PASSWORD"),
        "SMTP_FROM": get("BAGUAN_SMTP_FROM"), "SMTP_STARTTLS": _flag(get("BAGUAN_SMTP_STARTTLS")),
        "INSTANCE_DIR": str(instance),
        "UPLOAD_DIR": get("BAGUAN_UPLOAD_DIR") or str(instance / "uploads"),
        "AUDIT_KEY": env.get("BAGUAN_AUDIT_KEY") or None,
        "HEARTBEAT_MAX_AGE": _int(get("BAGUAN_HEARTBEAT_MAX_AGE"), "BAGUAN_HEARTBEAT_MAX_AGE"),
    }
    config.update(overrides or {})
    validate_config(config)
    return config


def _int(value: str | None, name: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise ConfigError(f"{name} 必须是整数，当前值：{value!r}") from None


def validate_config(config: Mapping[str, Any]) -> None:
    if config["BAGUAN_ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"BAGUAN_ENV 必须是 {' / '.join(ENVIRONMENTS)} 之一")
    secret = config.get("SECRET_KEY")
    if config["BAGUAN_ENV"] == "production" and (not secret or secret == "dev-only-secret" or len(secret) < 16):
        raise ConfigError("生产环境必须设置 BAGUAN_SECRET_KEY（至少 16 个字符的随机串）")
    audit_key = config.get("AUDIT_KEY")
    if audit_key is not None and len(str(audit_key).strip()) < 8:
        raise ConfigError("BAGUAN_AUDIT_KEY 至少需要 8 个字符（建议 32 个以上的随机字符）")
    url = str(config["DATABASE_URL"])
    if not url.startswith(("sqlite", "postgresql")):
        raise ConfigError("BAGUAN_DATABASE_URL 只支持 sqlite:/// 或 postgresql:// 地址")
    if not 0 < int(config["PORT"]) < 65536:
        raise ConfigError("BAGUAN_PORT 超出范围")
    _check_durations(config)
    if not 0 <= int(config["TRUSTED_PROXIES"]) <= MAX_PROXY_HOPS:
        raise ConfigError(f"BAGUAN_TRUSTED_PROXIES 必须是 0 到 {MAX_PROXY_HOPS} 之间的整数（反向代理的层数）")


def _check_durations(config: Mapping[str, Any]) -> None:
    lifetime, idle = config["PERMANENT_SESSION_LIFETIME"], config["SESSION_IDLE_TIMEOUT"]
    if not timedelta(hours=1) <= lifetime <= timedelta(days=7):
        raise ConfigError("BAGUAN_SESSION_HOURS 必须在 1 到 168 之间（小时）")
    if not timedelta(minutes=1) <= idle <= lifetime:
        raise ConfigError("BAGUAN_SESSION_IDLE_MINUTES 必须至少为 1，且不超过会话总时长 BAGUAN_SESSION_HOURS")
    if not timedelta(days=1) <= config["TOKEN_LIFETIME"] <= timedelta(days=3650):
        raise ConfigError("BAGUAN_TOKEN_DAYS 必须在 1 到 3650 之间（天）")
