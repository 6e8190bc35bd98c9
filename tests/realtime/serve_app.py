"""A Sidetalk server process for multi-process tests and the push benchmark.

    python -m tests.realtime.serve_app

Reads ``DATABASE_URL``, ``SIDETALK_MEDIA_DIR``, ``REDIS_URL`` (optional) and
``SIDETALK_CHANNEL_PREFIX`` from the environment, binds a free loopback port, prints
``port N`` once it accepts connections, and serves (werkzeug, threaded) until killed.
The secret key is the test-suite's, so widget tokens issued by the tests are valid here.
"""

from __future__ import annotations

import os

from werkzeug.serving import make_server

from widget import create_app
from widget.config import TestConfig


def main() -> None:
    config = TestConfig(
        database_url=os.environ["DATABASE_URL"], media_dir=os.environ["SIDETALK_MEDIA_DIR"]
    )
    config.REDIS_URL = os.environ.get("REDIS_URL", "")
    config.REALTIME_CHANNEL_PREFIX = os.environ.get("SIDETALK_CHANNEL_PREFIX", "sidetalk:")
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
