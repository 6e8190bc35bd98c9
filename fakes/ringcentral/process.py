"""The fake RingCentral in a process of its own, for benchmarks.

A real RingCentral is another machine: its work (finding a page, writing its JSON) does
not take turns with Sidetalk's for one interpreter lock. In the same process the fake's
server thread would, and a benchmark would count the fake's cost as Sidetalk's. Here
the fake runs in a child process (started with ``spawn``: no copy of the parent's
threads or connections); the parent talks to it through a pipe for the little it needs
besides HTTP (a token pair, call counts).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
from collections.abc import Callable
from typing import Any

from .server import FakeRingCentral

START_TIMEOUT_SECONDS = 120  # seeding a large mailbox takes a while on a loaded machine


def _seeder(name: str) -> Callable[..., None]:
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def _serve(conn, seed: str | None, seed_args: tuple, options: dict) -> None:
    """The child: start the fake, seed it, say where it listens, answer commands."""
    with FakeRingCentral(**options) as fake:
        if seed is not None:
            _seeder(seed)(fake, *seed_args)
        conn.send(
            {"url": fake.url, "client_id": fake.client_id, "client_secret": fake.client_secret}
        )
        while True:
            command, args = conn.recv()
            if command == "stop":
                conn.send(None)
                return
            if command == "issue":
                conn.send(fake.oauth.issue())
            elif command == "call_count":
                conn.send(fake.call_count(*args))
            else:
                conn.send(ValueError(f"unknown command {command!r}"))


class FakeRingCentralProcess:
    """``FakeRingCentral`` in a child process; the function ``seed`` names
    (``"package.module:function"``, imported there) runs first as
    ``function(fake, *seed_args)``. Use as a context manager; ``url``, ``client_id`` and
    ``client_secret`` are known once it started.
    """

    def __init__(self, seed: str | None = None, seed_args: tuple = (), **options: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, seed, seed_args, options), name="fake-ringcentral"
        )
        self.url = ""
        self.client_id = ""
        self.client_secret: str | None = None

    def __enter__(self) -> FakeRingCentralProcess:
        self._process.start()
        if not self._conn.poll(START_TIMEOUT_SECONDS):
            self._process.kill()
            raise RuntimeError("the fake RingCentral process did not start")
        started = self._conn.recv()
        self.url = started["url"]
        self.client_id = started["client_id"]
        self.client_secret = started["client_secret"]
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.is_alive():
            with contextlib.suppress(EOFError, OSError):
                self._ask("stop")
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _ask(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def issue_tokens(self) -> dict:
        """A new token pair, as the token endpoint gives one at sign-in."""
        return self._ask("issue")

    def call_count(self, method: str, path_suffix: str) -> int:
        return self._ask("call_count", method, path_suffix)
