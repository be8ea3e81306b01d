"""Running the app under gunicorn from ``baguan serve``."""
from __future__ import annotations

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


def run_gunicorn(app: Flask) -> None:
    options = {
        "bind": f"{app.config['HOST']}:{app.config['PORT']}",
        "workers": app.config["WORKERS"],
        "accesslog": "-",
        "timeout": 60,
        "post_fork": lambda _server, _worker: app.extensions["baguan_db"].engine.dispose(close=False),
    }
    print(f"Baguan 正在 http://{app.config['HOST']}:{app.config['PORT']} 提供服务", flush=True)
    _Gunicorn(app, options).run()
