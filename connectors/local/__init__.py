"""The local CRM: a small CRM inside Sidetalk's database, the embedded default connector.

``LocalConnector`` (entry point ``local``) implements the connector interface on the
``local_crm_*`` tables; ``seed.seed_local_crm`` fills them for the demo; ``pages`` is the
``/crm/local/...`` blueprint where a person sees what landed.
"""

from connectors.local.connector import LocalConnector

__all__ = ["LocalConnector"]
