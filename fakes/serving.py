"""Serving a fake over real HTTP: a werkzeug server on 127.0.0.1 in a daemon thread."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None  # keep test output clean; fakes record their calls themselves


class ThreadedServer:
    """Start and stop ``wsgi`` on a free port; a context manager too."""

    def __init__(self, wsgi, name: str) -> None:
        self._wsgi = wsgi
        self._name = name
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> int:
        if self._server is None:
            self._server = make_server(
                "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=QuietHandler
            )
            self.port = self._server.server_port
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},  # quick shutdown()
                name=self._name,
                daemon=True,
            )
            self._thread.start()
        return self.port

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
