"""The demo data set: the sandbox's account and history, the local CRM's records, the
SMS templates and the "Support" queue, seeded together once so ``make run`` opens on a
lived-in sidebar.

The sandbox is a platform; this is data that uses it and two capabilities' seeds.
"""

from __future__ import annotations

from datetime import datetime

from widget.inbox.announce import importing_history
from widget.local_crm.seed import seed_local_crm
from widget.models import Account
from widget.platforms.sandbox import seed as sandbox_seed
from widget.queues.manage import seed_demo_queue
from widget.sms_templates.service import seed_templates


def seed_demo(now: datetime | None = None) -> tuple[Account, bool]:
    """Seed the demo once; return the account and whether anything was created."""
    existing = sandbox_seed.demo_account()
    if existing is not None:
        return existing, False
    account = sandbox_seed.seed_people()
    with importing_history():
        sandbox_seed.seed_history(account, now)
    seed_local_crm(account, now)
    seed_templates(account)
    seed_demo_queue(account)
    return account, True
