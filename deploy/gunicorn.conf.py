"""gunicorn settings of a SIPAS server (sipas.service starts `gunicorn --config deploy/gunicorn.conf.py`).

Everything that differs between servers comes from the environment file the service reads:
SIPAS_BIND (nginx's upstream) and SIPAS_WORKERS. The worker count follows the rule
`sipas check-config` reasons with (survey/ops/workers.py), so the two never disagree.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey.ops.workers import worker_count  # noqa: E402

bind = os.environ.get("SIPAS_BIND", "127.0.0.1:8000")
workers = worker_count()
# Threads let a worker wait on the database for one request while serving another; reports
# that compute for seconds hold only one thread.
worker_class = "gthread"
threads = int(os.environ.get("SIPAS_THREADS", "4"))
# A first report computation may take a minute on a large province; a hung worker is replaced.
timeout = 120
graceful_timeout = 30
keepalive = 5
# A worker that computed large reports gives its memory back by being replaced now and then.
max_requests = 1000
max_requests_jitter = 100
# No access log: the addresses, user agents and query strings of citizens are not kept (nginx
# keeps a log without them). Errors go to the journal.
accesslog = None
errorlog = "-"
loglevel = "info"
# Only nginx on this machine may say the request came over https.
forwarded_allow_ips = "127.0.0.1,::1"
# Reload is `systemctl reload sipas` (HUP); no control socket to secure.
control_socket_disable = True
proc_name = "sipas"
