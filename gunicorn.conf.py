"""gunicorn settings, read from the working directory (``gunicorn 'widget:create_app()'``).

Only what the application needs whatever the deployment; sizes (workers, threads) stay
on the command line (README, "Running under gunicorn").
"""

import gc
import os


def post_worker_init(worker):
    # A full garbage collection walks every object of the process while holding the
    # GIL: every request and every push of the worker waits for it (measured 150-880 ms
    # on the soak's loaded workers). What exists once the application is loaded
    # (modules, mappers, templates, caches) lives as long as the process: leave it out
    # of every future collection.
    gc.freeze()


# The worker's heartbeat touches a file on every turn of its loop, that is on every
# request: on a disk-backed temporary directory that is a metadata write per request
# (gunicorn's documentation of worker_tmp_dir). /dev/shm is memory, and gunicorn makes
# its file there with mkstemp (a private file of a unique name), as S108 asks.
SHARED_MEMORY = "/dev/shm"  # noqa: S108
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY
