"""Typed SQLAlchemy 2 models, one module per aggregate."""

from widget.models.account import Account, Extension, PhoneNumber
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
from widget.models.outbound import PagerGroup, PagerGroupMember, SendRequest, SmsOptOut
from widget.models.realtime import PendingPush, ReadReceipt, RealtimeChannel, RealtimeEvent
from widget.models.sms_template import SmsTemplate, TemplateScope

__all__ = [
    "Account",
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
    "PendingPush",
    "SendRequest",
    "SmsOptOut",
    "SmsTemplate",
    "TemplateScope",
]
