"""The benchmark's websocket clients: asyncio + wsproto, one thread for all of them.

Each client signs in with a widget token, offers permessage-deflate like browsers,
answers pings, and timestamps every frame carrying a benchmark marker so the runner can
compute the time from ``POST /sandbox/inbound`` to the frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate

from widget import htmx_support

# Injected messages carry "bench<case>m<message>x" so a frame names what it delivers.
MARKER = re.compile(r"bench(\d+)m(\d+)x")


@dataclass
class Client:
    index: int
    person: Any  # the runner's Person: only its widget ``token`` is used here
    writer: asyncio.StreamWriter | None = None
    ws: WSConnection | None = None
    accepted: asyncio.Future | None = None
    task: asyncio.Task | None = None


@dataclass
class Run:
    sent_at: dict[int, float] = field(default_factory=dict)
    received: dict[tuple[int, int], float] = field(default_factory=dict)
    case: int = 0

    def on_frame(self, client: Client, text: str, at: float) -> None:
        for case, message in {(int(c), int(m)) for c, m in MARKER.findall(text)}:
            sent = self.sent_at.get(message)
            if case == self.case and sent is not None:
                self.received.setdefault((message, client.index), (at - sent) * 1000)


async def run_client(client: Client, port: int, run: Run) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client.writer = writer
    client.ws = ws = WSConnection(ConnectionType.CLIENT)
    # The token rides as a subprotocol beside "sidetalk", never in the URL (as in browsers).
    protocols = [
        htmx_support.SOCKET_PROTOCOL,
        htmx_support.SOCKET_TOKEN_PREFIX + client.person.token,
    ]
    request = Request(
        host=f"127.0.0.1:{port}",
        target="/ws",
        extensions=[PerMessageDeflate()],
        subprotocols=protocols,
    )
    writer.write(ws.send(request))
    parts: list[str] = []
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    client.accepted.set_result(True)
                elif isinstance(event, RejectConnection):
                    client.accepted.set_exception(RuntimeError("websocket refused"))
                    return
                elif isinstance(event, TextMessage):
                    parts.append(event.data)
                    if event.message_finished:
                        run.on_frame(client, "".join(parts), time.perf_counter())
                        parts = []
                elif isinstance(event, Ping):
                    writer.write(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    return
    except (ConnectionError, OSError):
        pass
    finally:
        if not client.accepted.done():
            client.accepted.set_exception(RuntimeError("connection closed before accept"))
        writer.close()


async def connect_all(people: list[Any], count: int, port: int, run: Run) -> list[Client]:
    clients = []
    gate = asyncio.Semaphore(50)  # handshakes in flight at once

    async def open_one(client: Client) -> None:
        async with gate:
            client.accepted = asyncio.get_running_loop().create_future()
            client.task = asyncio.create_task(run_client(client, port, run))
            await asyncio.wait_for(client.accepted, timeout=60)

    for index in range(count):
        clients.append(Client(index, people[index % len(people)]))
    await asyncio.gather(*(open_one(c) for c in clients))
    return clients


async def close_all(clients: list[Client]) -> None:
    for client in clients:
        with contextlib.suppress(Exception):
            client.writer.write(client.ws.send(CloseConnection(code=1000)))
    await asyncio.sleep(0.5)
    for client in clients:
        client.task.cancel()
    await asyncio.gather(*(c.task for c in clients), return_exceptions=True)
