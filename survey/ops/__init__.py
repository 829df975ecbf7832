"""Running the platform on a server: production checks, backup and restore, retention.

The command line (`sipas check-config`, `backup`, `restore`, `retention`) is in
`survey/cli/ops.py`; the server layout these serve (systemd, gunicorn, nginx, PostgreSQL,
Redis) is in `deploy/`, documented step by step in `docs/deploy.md`.
"""
