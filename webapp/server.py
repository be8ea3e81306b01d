"""Running the app under gunicorn from ``baguan serve``, after checking the port and the database."""
from __future__ import annotations

import errno
import socket
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be bound right now (in Chinese), or None when it is free."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"端口 {port} 已被占用（{host}:{port}），请停止占用它的进程或换一个 BAGUAN_PORT"
            if exc.errno == errno.EACCES:
                return f"没有权限监听 {host}:{port}（1024 以下的端口需要特权），请换一个 BAGUAN_PORT"
            return f"无法监听 {host}:{port}：{exc.strerror or exc}"
    return None


def gunicorn_options(app: Flask) -> dict[str, Any]:
    """Several instances may run on one host: no shared control socket (~/.gunicorn/gunicorn.ctl)."""
    return {
        "bind": f"{app.config['HOST']}:{app.config['PORT']}",
        "workers": app.config["WORKERS"],
        "accesslog": "-",
        "timeout": 60,
        "control_socket_disable": True,
        "post_fork": lambda _server, _worker: app.extensions["baguan_db"].engine.dispose(close=False),
    }


def run_gunicorn(app: Flask) -> None:
    print(f"Baguan 正在 http://{app.config['HOST']}:{app.config['PORT']} 提供服务", flush=True)
    _Gunicorn(app, gunicorn_options(app)).run()
