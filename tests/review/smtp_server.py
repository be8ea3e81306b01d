"""A tiny SMTP server for the tests: accepts every message on 127.0.0.1 and keeps it in memory."""
from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes
from email.message import Message
from typing import Iterator

import pytest


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode("ascii"))

    def handle(self) -> None:
        self.reply("220 localhost test SMTP")
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.server.messages.append(message_from_bytes(self._data()))
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb == "EHLO":
                self.reply("250 localhost")
            else:
                self.reply("250 OK")

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[Message] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@pytest.fixture
def smtp_server() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
