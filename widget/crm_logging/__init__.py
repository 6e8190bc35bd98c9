"""Log to CRM: the Log panel, CRM settings and the manifest editor (views in ``routes``).

The logging engine (matching, digests, background writes) lives beside it in
``engine.py`` and friends; this package's views only call the engine's functions.
"""

from flask import Blueprint

# No url_prefix: the panels live under /widget/crm (framed by CRM pages) while the
# manifest editor lives under /admin (never framed); see security.py.
bp = Blueprint("crm_logging", __name__)

from widget.crm_logging import routes  # noqa: E402,F401
