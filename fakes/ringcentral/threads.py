"""The fake's message threads (the MessageThreads feature of call-queue SMS).

Shapes follow ``thread-list-records.json``, ``features-messagethreads-enabled.json`` and
the public OpenAPI (``MessageThread``, ``AssignMessageThreadRequest``,
``ThreadNoteCreateRequest``/``ThreadNoteModel``, ``EnumeratedPagingModel``): a thread is
``Open`` or ``Resolved`` (``statusReason`` ``Manual``), ``assignee`` is cleared when it
is resolved, notes carry their author. An account without the feature answers the
feature query with ``available: false`` and every thread endpoint with 403.

``GET .../message-threads/sync`` (``ThreadSyncList``): FSync gives the Open threads,
newest change first, with a ``syncToken``; ISync with it gives every thread changed
since (Resolved ones too). ``change_elsewhere`` changes a thread as RingCentral's own
app would (an agent assigns or resolves it there).
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from .account import FakeAccount
from .http import api_error, json_response

FEATURE = "MessageThreads"
NOTE_MAX = 1000
KEEP = object()  # change_elsewhere: leave the assignee as it is


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


class ThreadApi:
    def __init__(self, fake: FakeAccount) -> None:
        self.fake = fake
        self.enabled = True
        self.threads: dict[str, dict[str, Any]] = {}
        self.notes: list[dict[str, Any]] = []
        self._note_ids = itertools.count(5100001)
        # Call-queue extensions the account has: extensionId -> name (thread owners).
        self.queues: dict[str, str] = {}
        # Users a thread may be assigned to: extensionId -> name.
        self.users: dict[str, str] = {}
        # Called as observe(action, body) while a change is being answered (tests look at
        # what the caller had committed at that moment).
        self.observe: Callable[[str, Any], None] | None = None
        # Change counter: a thread's value is the counter at its last change (ISync).
        self.seq = 0
        self.changed: dict[str, int] = {}
        self.token_generation = 1  # bumping it makes every issued thread sync token invalid

    def _touch(self, thread: dict[str, Any]) -> None:
        """Record a change of ``thread`` (under the lock): a new version for ISync."""
        self.seq += 1
        self.changed[thread["id"]] = self.seq
        thread["lastModifiedTime"] = _now()

    def _observed(self, action: str, body: Any) -> None:
        if self.observe is not None:
            self.observe(action, body)

    # -- seeding ----------------------------------------------------------------------------

    def open_thread(self, owner_extension_id: str, owner_phone: str, guest_phone: str) -> str:
        """A customer texts a call queue's number: RingCentral opens a thread; its id."""
        thread_id = str(uuid.uuid4())
        now = _now()
        with self.fake.lock:
            self.threads[thread_id] = {
                "id": thread_id,
                "status": "Open",
                "availability": "Alive",
                "ownerParty": {"phoneNumber": owner_phone},
                "guestParty": {"phoneNumber": guest_phone},
                "owner": {
                    "extensionId": owner_extension_id,
                    "name": self.queues.get(owner_extension_id, "Queue"),
                    "extensionType": "Department",
                },
                "creationTime": now,
                "lastModifiedTime": now,
            }
            self._touch(self.threads[thread_id])
        return thread_id

    def change_elsewhere(
        self, thread_id: str, *, assignee: str | None | object = KEEP, resolve: str | None = None
    ) -> dict[str, Any]:
        """Change a thread as an agent in RingCentral's own app would: ``assignee`` an
        extension id (None: unassign), ``resolve`` a ``statusReason`` (Manual,
        ThreadExpired). Returns the thread as it is now."""
        with self.fake.lock:
            thread = self.threads[thread_id]
            if assignee is None:
                thread.pop("assignee", None)
            elif assignee is not KEEP:
                thread["assignee"] = {
                    "extensionId": assignee,
                    "name": self.users.get(assignee, "Agent"),
                    "extensionType": "User",
                }
            if resolve is not None:
                thread.update(status="Resolved", statusReason=resolve)
                thread.pop("assignee", None)
            self._touch(thread)
            return dict(thread)

    # -- endpoints --------------------------------------------------------------------------

    def features(self, request: Request) -> Response:
        wanted = request.args.getlist("featureId")
        records = []
        if not wanted or FEATURE in wanted:
            params = [
                {"name": "callQueueSupported", "value": "true"},
                {"name": "siteSupported", "value": "true"},
            ]
            records.append({"id": FEATURE, "available": self.enabled, "params": params})
        return json_response({"records": records})

    def _refused(self) -> Response | None:
        if self.enabled:
            return None
        return api_error(403, "CMN-408", "Feature [MessageThreads] is not available")

    def _thread(self, tid: str) -> dict[str, Any] | Response:
        thread = self.threads.get(tid)
        if thread is None:
            return api_error(404, "CMN-102", "Resource for parameter [threadId] is not found")
        return thread

    def threads_list(self, request: Request) -> Response:
        refused = self._refused()
        if refused is not None:
            return refused
        filters = {
            "status": request.args.getlist("status"),
            "owner": request.args.getlist("ownerExtensionIds"),
            "ownerPhoneNumber": request.args.get("ownerPhoneNumber"),
            "guestPhoneNumber": request.args.get("guestPhoneNumber"),
        }
        per_page = int(request.args.get("perPage", 100))
        with self.fake.lock:
            records = [
                dict(t)
                for t in self.threads.values()
                if (not filters["status"] or t["status"] in filters["status"])
                and (not filters["owner"] or t["owner"]["extensionId"] in filters["owner"])
                and filters["ownerPhoneNumber"] in (None, t["ownerParty"]["phoneNumber"])
                and filters["guestPhoneNumber"] in (None, t["guestParty"]["phoneNumber"])
            ]
        records.sort(key=lambda t: t["creationTime"], reverse=True)
        return json_response({"records": records[:per_page], "paging": {"perPage": per_page}})

    def _token(self) -> str:
        raw = json.dumps({"g": self.token_generation, "s": self.seq}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _since(self, token: str) -> int | None:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            generation, seq = int(data["g"]), int(data["s"])
        except (ValueError, KeyError, TypeError):
            return None
        return seq if generation == self.token_generation else None

    def threads_sync(self, request: Request) -> Response:
        refused = self._refused()
        if refused is not None:
            return refused
        sync_type = request.args.get("syncType", "FSync")
        if sync_type not in ("FSync", "ISync"):
            return api_error(400, "CMN-101", "Parameter [syncType] value is invalid", "syncType")
        with self.fake.lock:
            if sync_type == "FSync":
                records = [
                    dict(t)
                    for t in self.threads.values()
                    if t["status"] == "Open" and t["availability"] == "Alive"
                ]
            else:
                since = self._since(request.args.get("syncToken") or "")
                if since is None:
                    return api_error(
                        400, "CMN-101", "Parameter [syncToken] value is invalid", "syncToken"
                    )
                records = [dict(t) for t in self.threads.values() if self.changed[t["id"]] > since]
            token = self._token()
        records.sort(key=lambda t: t["lastModifiedTime"], reverse=True)
        info = {"syncType": sync_type, "syncToken": token, "syncTime": _now()}
        return json_response({"records": records, "syncInfo": info})

    def thread_get(self, request: Request, tid: str) -> Response:
        refused = self._refused()
        found = refused or self._thread(tid)
        return found if isinstance(found, Response) else json_response(found)

    def thread_assign(self, request: Request, tid: str) -> Response:
        found = self._refused() or self._thread(tid)
        if isinstance(found, Response):
            return found
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "assignee" not in body:
            return api_error(400, "CMN-101", "Parameter [assignee] is required", "assignee")
        assignee = body["assignee"]
        if assignee is not None:
            extension_id = assignee.get("extensionId") if isinstance(assignee, dict) else None
            if extension_id not in self.users:
                return api_error(
                    400, "CMN-101", "Parameter [assignee.extensionId] is invalid", "assignee"
                )
        if found["status"] == "Resolved":
            return api_error(400, "MSG-701", "Resolved thread cannot be assigned")
        self._observed("assign", body)
        with self.fake.lock:
            if assignee is None:
                found.pop("assignee", None)
            else:
                found["assignee"] = {
                    "extensionId": assignee["extensionId"],
                    "name": self.users[assignee["extensionId"]],
                    "extensionType": "User",
                }
            self._touch(found)
        return json_response(found)

    def thread_resolve(self, request: Request, tid: str) -> Response:
        found = self._refused() or self._thread(tid)
        if isinstance(found, Response):
            return found
        self._observed("resolve", {"threadId": tid})
        with self.fake.lock:
            found.update(status="Resolved", statusReason="Manual")
            found.pop("assignee", None)  # cleared automatically when resolved
            self._touch(found)
        return json_response(found)

    def thread_notes(self, request: Request) -> Response:
        refused = self._refused()
        if refused is not None:
            return refused
        if request.method == "GET":
            wanted = set(request.args.getlist("threadIds"))
            with self.fake.lock:
                records = [n for n in self.notes if not wanted or n["threadId"] in wanted]
            return json_response({"records": records, "paging": {"perPage": 100}})
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("threadId"), str):
            return api_error(400, "CMN-101", "Parameter [threadId] is required", "threadId")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > NOTE_MAX:
            return api_error(400, "CMN-101", "Parameter [text] is invalid", "text")
        found = self._thread(body["threadId"])
        if isinstance(found, Response):
            return found
        self._observed("note", body)
        now = _now()
        note = {
            "id": str(next(self._note_ids)),
            "threadId": body["threadId"],
            "availability": "Alive",
            "creationTime": now,
            "lastModifiedTime": now,
            "text": text,
            "author": {
                "extensionId": self.fake.extension_id,
                "name": " ".join(self.fake.user_name),
                "extensionType": "User",
            },
        }
        with self.fake.lock:
            self.notes.append(note)
        return json_response(note, 201)
