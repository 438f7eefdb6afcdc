"""Sign-in attempts: an address that keeps failing for one account is refused for a while.

Failures are counted per account and client address, and per address over all
accounts (password spraying), in the cache shared by the web processes. Every
sign-in path is covered: the login page, the API and the admin all authenticate
through :class:`accounts.backends.LockoutModelBackend`, which refuses a locked pair
whatever the password, and the pages and the API say so with a 429. The client
address follows TRUSTED_PROXY_COUNT (DRF's NUM_PROXIES): with no trusted proxy,
X-Forwarded-For is ignored, so a client cannot reset its count with a new header.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from rest_framework.throttling import BaseThrottle

from sonicai.cache import count_down, count_up

#: An address may fail this many times more often over all accounts than for one.
SPRAY_FACTOR = 5


class SignInLocked(Exception):
    def __init__(self) -> None:
        self.retry_after = settings.LOGIN_LOCKOUT_SECONDS  # at most: the window restarts with each failure
        minutes = max(1, round(settings.LOGIN_LOCKOUT_SECONDS / 60))
        super().__init__(f"Too many failed sign-ins from this address. Try again in {minutes} minutes, "
                         "or reset your password with an administrator.")


def client_address(request) -> str:
    return BaseThrottle().get_ident(request)


def _account(username: str | None) -> str:
    from .models import username_key

    return hashlib.sha256(username_key(username).encode()).hexdigest()[:32]


def _keys(request, username: str | None) -> tuple[str, str]:
    address = client_address(request)
    account = _account(username)
    # The account's generation is part of the key, so that an operator can clear its counts from every
    # address at once (unlock_account) without the cache being able to list keys.
    generation = cache.get(f"signin-gen:{account}", 0)
    return f"signin-fail:{account}:{generation}:{address}", address_key(address)


def address_key(address: str) -> str:
    return f"signin-fail-address:{address}"


def unlock_account(username: str) -> None:
    """Forget the failed sign-ins counted against this account, from every address."""
    key = f"signin-gen:{_account(username)}"
    cache.set(key, (cache.get(key) or 0) + 1, None)


def unlock_address(address: str) -> None:
    """Forget the failed sign-ins counted against this client address (all accounts together)."""
    cache.delete(address_key(address))


def check_not_locked(request, username: str | None) -> None:
    """Raise :class:`SignInLocked` when this account and address may not try again yet."""
    if _locked(*_keys(request, username)):
        raise SignInLocked()


def _locked(pair: str, address: str) -> bool:
    counts = cache.get_many([pair, address])
    return counts.get(pair, 0) >= settings.LOGIN_FAILURE_LIMIT or \
        counts.get(address, 0) >= settings.LOGIN_FAILURE_LIMIT * SPRAY_FACTOR


def _count(key: str) -> int:
    return count_up(cache, key, settings.LOGIN_LOCKOUT_SECONDS)


def _uncount(key: str) -> None:
    count_down(cache, key)


#: Set on a request whose password check was counted in advance (:func:`claim_attempt`).
_COUNTED = "_sonicai_signin_counted"


def claim_attempt(request, username: str | None) -> tuple[str, str]:
    """Count a password check as a failure before it runs, and refuse it when that passes a limit.

    Counted after the check, guesses sent at once all passed the lock before the first failure was written
    (200 concurrent wrong passwords got 16 tries through a limit of 10, band probe); counted first, with the
    cache's atomic increment, the 11th is refused however they are timed. A check that succeeds gives its count
    back (:func:`attempt_succeeded`)."""
    pair, address = _keys(request, username)
    if _locked(pair, address):
        raise SignInLocked()
    if _count(pair) > settings.LOGIN_FAILURE_LIMIT or \
            _count(address) > settings.LOGIN_FAILURE_LIMIT * SPRAY_FACTOR:
        _uncount(pair)
        _uncount(address)
        raise SignInLocked()
    setattr(request, _COUNTED, True)
    return pair, address


def attempt_succeeded(pair: str, address: str) -> None:
    cache.delete(pair)
    _uncount(address)


@receiver(user_login_failed)
def record_failure(sender, credentials, request=None, **kwargs) -> None:
    """Failures of checks that did not claim their attempt first (the current password on a password change)."""
    if request is None or getattr(request, _COUNTED, False):
        return
    keys = _keys(request, credentials.get("username"))
    if _locked(*keys):  # a try refused unread is no new failure: a locked musician retrying would otherwise
        return          # push the whole address (an office, a proxy) towards its own limit
    for key in keys:
        _count(key)


@receiver(user_logged_in)
def clear_failures(sender, request, user, **kwargs) -> None:
    if request is not None:
        cache.delete(_keys(request, user.get_username())[0])
