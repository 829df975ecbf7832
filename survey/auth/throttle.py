"""Throttling of officials' log-in that slows guessing without locking out the office.

Three rules, all kept in the rate-limit storage (shared by every worker and app server):

- **Per account, exponential backoff.** After LOGIN_FREE_FAILURES failed attempts on one
  account, each further failure makes that account wait twice as long (30 s, 60 s, … up to
  LOGIN_MAX_BACKOFF_S) before the next attempt is even checked. Other accounts are untouched.
- **Per address, failures only.** A client address may fail LOGIN_FAILURES_PER_ADDRESS times;
  a right password never counts. Past that budget the address is refused (429) —
- **except for a known browser.** A browser where the account logged in before carries a
  signed cookie naming that account; it is judged apart from the address and from strangers'
  failures on the account. A whole service centre behind one NAT address therefore keeps
  logging in while someone there (or a bot) hammers the form.

Account keys are keyed digests of the e-mail, so the storage never holds an address typed in.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many

from survey.extensions import limiter

__all__ = ["Attempt", "account_digest"]

KNOWN_COOKIE = "sipas_known"
KNOWN_MAX_AGE_S = 90 * 24 * 3600
FAIL_MEMORY_S = 24 * 3600
BASE_BACKOFF_S = 30


def account_digest(email: str) -> str:
    """A keyed digest of an e-mail (lower-cased): the same for every worker, useless without the key."""
    key = current_app.config["SECRET_KEY"]
    secret = key.encode() if isinstance(key, str) else bytes(key)
    return hmac.new(secret, b"login:" + email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _known_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="sipas-known-browser")


@dataclass
class Attempt:
    """One POST /login: who it is for, from where, and whether the browser is known for it."""

    email: str

    def __post_init__(self) -> None:
        self.account = account_digest(self.email)
        self.address = get_remote_address()
        self.known_accounts = _known_accounts()
        self.known = self.account in self.known_accounts
        # A known browser has its own failure count for the account; strangers share another.
        self.scope = f"{self.account}:known" if self.known else self.account

    # -- the storage ---------------------------------------------------------------------
    def _address_limits(self):  # type: ignore[no-untyped-def]
        return parse_many(str(current_app.config["LOGIN_FAILURES_PER_ADDRESS"]))

    def retry_after(self) -> int | None:
        """Seconds to wait before this attempt may be checked, or None if it may be checked now
        (always, when rate limiting is switched off: RATELIMIT_ENABLED=False)."""
        if not current_app.config["RATELIMIT_ENABLED"]:
            return None
        storage = limiter.storage
        block = f"login-block:{self.scope}"
        if storage.get(block) > 0:
            return max(1, int(storage.get_expiry(block) - _now()))
        if not self.known:
            for item in self._address_limits():
                if not limiter.limiter.test(item, "login-address", self.address):
                    return max(
                        1,
                        int(
                            limiter.limiter.get_window_stats(item, "login-address", self.address).reset_time
                            - _now()
                        ),
                    )
        return None

    def failed(self) -> None:
        """Count a failure: on the account (backoff past the free ones) and on the address."""
        if not current_app.config["RATELIMIT_ENABLED"]:
            return
        storage = limiter.storage
        failures = storage.incr(f"login-fails:{self.scope}", FAIL_MEMORY_S)
        free = int(current_app.config["LOGIN_FREE_FAILURES"])
        if failures >= free:
            delay = min(
                BASE_BACKOFF_S * 2 ** (failures - free), int(current_app.config["LOGIN_MAX_BACKOFF_S"])
            )
            storage.clear(f"login-block:{self.scope}")
            storage.incr(f"login-block:{self.scope}", delay)
        if not self.known:
            for item in self._address_limits():
                limiter.limiter.hit(item, "login-address", self.address)

    def succeeded(self, response: Response) -> Response:
        """Forget the account's failures and remember this browser for the account."""
        if current_app.config["RATELIMIT_ENABLED"]:
            for key in (f"login-fails:{self.scope}", f"login-block:{self.scope}"):
                limiter.storage.clear(key)
        response.set_cookie(
            KNOWN_COOKIE,
            _known_serializer().dumps(
                [self.account, *(a for a in self.known_accounts if a != self.account)][:5]
            ),
            max_age=KNOWN_MAX_AGE_S,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            path="/login",
        )
        return response


def _known_accounts() -> list[str]:
    """The accounts this browser logged in to before (a shared office computer: up to five)."""
    cookie = request.cookies.get(KNOWN_COOKIE, "")
    if not cookie:
        return []
    try:
        accounts = _known_serializer().loads(cookie)
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def _now() -> float:
    import time

    return time.time()
