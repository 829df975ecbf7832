"""gunicorn settings of a SIPAS server (sipas.service starts `gunicorn --config deploy/gunicorn.conf.py`).

The app's own settings (gunicorn.conf.py at the top of the checkout, which `make demo` uses:
no access log, every error line redacted of addresses and query strings, the timeout above the
app's database bound) with what a server adds: the address nginx proxies to (SIPAS_BIND) and the
worker count of the rule `sipas check-config` reasons with (survey/ops/workers.py), so the two
never disagree. Everything comes from the environment file the service reads.
"""

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from survey.ops.workers import worker_count  # noqa: E402

_app = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
accesslog = _app["accesslog"]
errorlog = _app["errorlog"]
loglevel = _app["loglevel"]
logconfig_dict = _app["logconfig_dict"]
timeout = _app["timeout"]
threads = _app["threads"]

bind = os.environ.get("SIPAS_BIND", "127.0.0.1:8000")
workers = worker_count()
# Threads let a worker wait on the database for one request while serving another.
worker_class = "gthread"
graceful_timeout = 30
keepalive = 5
# A worker that computed large reports gives its memory back by being replaced now and then.
max_requests = 1000
max_requests_jitter = 100
# Only nginx on this machine may say the request came over https.
forwarded_allow_ips = "127.0.0.1,::1"
# Reload is `systemctl reload sipas` (HUP); no control socket to secure.
control_socket_disable = True
proc_name = "sipas"
