"""Password sign-in that refuses an account and address locked by failed attempts."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from .lockout import SignInLocked, check_not_locked


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            try:
                check_not_locked(request, username)
            except SignInLocked:
                raise PermissionDenied from None  # Django then stops and reports a failed sign-in
        return super().authenticate(request, username=username, password=password, **kwargs)
