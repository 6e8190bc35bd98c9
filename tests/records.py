"""RingCentral-shaped message-store records for tests, with every field under control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2025, 6, 2, 15, 0, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sms(
    message_id: str,
    *,
    other: str,
    own: str,
    direction: str = "Inbound",
    text: str = "hello",
    created: datetime = T0,
    modified: datetime | None = None,
    read: str = "Unread",
    status: str | None = None,
    extra_recipients: tuple[str, ...] = (),
) -> dict:
    """An SMS record between ``own`` (the extension's number) and ``other``."""
    inbound = direction == "Inbound"
    sender = {"phoneNumber": other} if inbound else {"phoneNumber": own}
    recipients = [{"phoneNumber": own}] if inbound else [{"phoneNumber": other}]
    recipients += [{"phoneNumber": n} for n in extra_recipients]
    return {
        "id": message_id,
        "type": "SMS",
        "direction": direction,
        "from": sender,
        "to": recipients,
        "subject": text,
        "creationTime": stamp(created),
        "lastModifiedTime": stamp(modified or created),
        "readStatus": read,
        "messageStatus": status or ("Received" if inbound else "Delivered"),
        "availability": "Alive",
        "attachments": [{"id": message_id, "type": "Text", "contentType": "text/plain"}],
    }


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def voicemail(
    message_id: str,
    *,
    caller: str,
    own: str,
    created: datetime = T0,
    availability: str = "Alive",
    seconds: int = 20,
) -> dict:
    """A voicemail record from ``caller``, its recording left on the platform."""
    return {
        "id": message_id,
        "type": "VoiceMail",
        "direction": "Inbound",
        "from": {"phoneNumber": caller},
        "to": [{"phoneNumber": own}],
        "creationTime": stamp(created),
        "lastModifiedTime": stamp(created),
        "readStatus": "Unread",
        "messageStatus": "Received",
        "availability": availability,
        "attachments": [
            {
                "id": f"{message_id}-audio",
                "uri": f"https://platform.example/message-store/{message_id}/content",
                "type": "AudioRecording",
                "contentType": "audio/x-wav",
                "vmDuration": seconds,
            }
        ],
    }
