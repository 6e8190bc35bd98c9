"""A fake Salesforce (login host + org) for tests and benchmarks.

Quick use::

    with FakeSalesforce() as sf:                    # default seeded org
        token = sf.issue_tokens()                   # or run the OAuth flow against sf.url
        sf.add_contact("Doe", "Jane", phone="(415) 555-0100")
        sf.fail_next("POST sobjects/Task", 503)     # fault injection
        ...
        sf.call_count("GET", "search/")             # call accounting
"""

from .payloads import conformance_dir
from .server import Call, FakeSalesforce, RequestRecord

__all__ = ["Call", "FakeSalesforce", "RequestRecord", "conformance_dir"]
