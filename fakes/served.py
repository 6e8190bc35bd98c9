"""A fake service served over real HTTP in a thread, with a call log and injected faults.

What every CRM fake (``httpfake.FakeCrmServer`` and ``salesforce.FakeSalesforce``) does
the same way: start and stop, record each request, answer the next matching requests
with an injected status, and keep handler crashes for the test to see. A fake gives its
routing (``_dispatch``), how an injected fault and a crash read in its CRM's words, and,
where its paths need it, how a fault's path prefix matches.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from werkzeug.wrappers import Request, Response

from fakes.serving import ThreadedServer

METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"})


class Call(NamedTuple):
    """One request the fake received: method, path and decoded query parameters."""

    method: str
    path: str
    query: dict[str, str]


@dataclass
class Fault:
    """An injected answer for the next matching requests."""

    method: str | None
    prefix: str | None
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int


def split_match(match: str | None) -> tuple[str | None, str | None]:
    """Return (method, path prefix) of a ``fail_next`` match: "POST /path", "/path",
    "GET", or None for any request."""
    if not match:
        return None, None
    head, _, rest = match.strip().partition(" ")
    if head.upper() in METHODS:
        return head.upper(), rest.strip() or None
    return None, match.strip()


class ServedFake(ABC):
    """Base of the fakes served over HTTP (see the module docstring)."""

    name = "fake"

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.errors: list[BaseException] = []
        self._faults: list[Fault] = []
        self._serving = ThreadedServer(self._wsgi, self.name)
        self.port = 0

    # -- to provide -------------------------------------------------------------------------

    @abstractmethod
    def _dispatch(self, request: Request) -> Response:
        """Answer a request that no fault was injected for."""

    @abstractmethod
    def fault_response(self, fault: Fault) -> Response:
        """Return the answer of an injected fault (its body, or the CRM's own for it)."""

    @abstractmethod
    def crash_response(self, exc: Exception) -> Response:
        """Return the 500 a handler crash is answered with (the crash is kept in errors)."""

    def path_matches(self, path: str, prefix: str | None) -> bool:
        """Return whether a fault's or a count's path ``prefix`` matches ``path``."""
        return not prefix or path.startswith(prefix)

    def record(self, request: Request) -> Any:
        """Log a received request; return what ``answered`` is told about it."""
        with self.lock:
            self.calls.append(Call(request.method, request.path, request.args.to_dict()))
        return None

    def answered(self, recorded: Any, response: Response) -> None:  # noqa: B027 - optional hook
        """See the answer to a request ``record`` logged (default: nothing)."""

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Return the base URL of the fake (http://127.0.0.1:PORT)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self):  # noqa: ANN201 - returns the subclass
        """Start serving in a daemon thread; return self."""
        self.port = self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._serving.stop()

    def __enter__(self):  # noqa: ANN204 - returns the subclass
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults and accounting --------------------------------------------------------------

    def fail_next(
        self,
        match: str | None,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``match`` ("POST /path", "/path",
        "GET", or None for any) with ``status`` (body: the CRM's own for that status)."""
        method, prefix = split_match(match)
        with self.lock:
            self._faults.append(Fault(method, prefix, status, body, dict(headers or {}), times))

    def reset_calls(self) -> None:
        """Forget recorded calls."""
        with self.lock:
            self.calls.clear()

    def call_count(self, method: str | None = None, prefix: str | None = None) -> int:
        """Return how many requests matched ``method`` and path ``prefix``."""
        with self.lock:
            return sum(
                1
                for call in self.calls
                if (method is None or call.method == method.upper())
                and self.path_matches(call.path, prefix)
            )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.method in (None, method) and self.path_matches(path, fault.prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        recorded = self.record(request)
        if self.latency > 0:
            time.sleep(self.latency)
        fault = self._take_fault(request.method, request.path)
        try:
            response = self.fault_response(fault) if fault else self._dispatch(request)
        except Exception as exc:  # surfaced to tests through .errors
            self.errors.append(exc)
            response = self.crash_response(exc)
        self.answered(recorded, response)
        return response(environ, start_response)
