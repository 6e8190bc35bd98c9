"""Typed SQLAlchemy 2 models, one module per aggregate."""

from widget.models.account import Account, Extension, PhoneNumber
from widget.models.admin import AdminAuditEntry, ManifestDraft
from widget.models.contact import Contact, ContactPhone, ContactSource
from widget.models.crm import (
    ActivityState,
    AutoLogCheck,
    AutoLogOutcome,
    ConflictPolicy,
    ConversationLogDecision,
    CrmAccountSettings,
    CrmActivity,
    CrmConnection,
    MessageLog,
    MessageLogState,
)
from widget.models.crm_oauth_state import CrmOAuthState
from widget.models.manifest_version import ManifestVersion
from widget.models.message import (
    Attachment,
    Availability,
    Channel,
    Conversation,
    ConversationKind,
    Direction,
    Message,
    MessageStatus,
    MessageType,
    ReadStatus,
)
from widget.models.outbound import (
    PagerGroup,
    PagerGroupMember,
    PendingSend,
    SendRequest,
    SmsOptOut,
)
from widget.models.platform_link import PlatformLink
from widget.models.platform_traffic import PlatformRateBlock, WebhookReceipt
from widget.models.platform_update import PendingPlatformUpdate, PlatformUpdateKind
from widget.models.queue import (
    NOTE_LIMIT,
    Queue,
    QueueConversation,
    QueueEvent,
    QueueEventKind,
    QueueMember,
    ResolveReason,
)
from widget.models.realtime import PendingPush, ReadReceipt, RealtimeChannel, RealtimeEvent
from widget.models.scheduled import ScheduledMessage, ScheduleState
from widget.models.search import is_search_object
from widget.models.sms_template import SmsTemplate, TemplateScope
from widget.models.thread_link import QueueThreadLink

__all__ = [
    "QueueThreadLink",
    "is_search_object",
    "Account",
    "AdminAuditEntry",
    "ManifestDraft",
    "PlatformRateBlock",
    "WebhookReceipt",
    "ActivityState",
    "AutoLogCheck",
    "AutoLogOutcome",
    "ConflictPolicy",
    "ConversationLogDecision",
    "CrmAccountSettings",
    "CrmActivity",
    "CrmConnection",
    "MessageLog",
    "MessageLogState",
    "Attachment",
    "Availability",
    "Channel",
    "Contact",
    "ContactPhone",
    "ContactSource",
    "CrmOAuthState",
    "Conversation",
    "ConversationKind",
    "Direction",
    "Extension",
    "ManifestVersion",
    "Message",
    "MessageStatus",
    "MessageType",
    "PagerGroup",
    "PagerGroupMember",
    "PhoneNumber",
    "ReadStatus",
    "ReadReceipt",
    "RealtimeChannel",
    "RealtimeEvent",
    "PendingPlatformUpdate",
    "PendingSend",
    "PlatformLink",
    "PendingPush",
    "NOTE_LIMIT",
    "Queue",
    "QueueConversation",
    "QueueEvent",
    "QueueEventKind",
    "QueueMember",
    "ResolveReason",
    "PlatformUpdateKind",
    "ScheduleState",
    "ScheduledMessage",
    "SendRequest",
    "SmsOptOut",
    "SmsTemplate",
    "TemplateScope",
]
