"""Password sign-in that refuses an account and address locked by failed attempts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from .lockout import SignInLocked, attempt_succeeded, claim_attempt


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        try:
            keys = claim_attempt(request, username if username is not None else
                                 kwargs.get(get_user_model().USERNAME_FIELD))
        except SignInLocked:
            raise PermissionDenied from None  # Django then stops and reports a failed sign-in
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            attempt_succeeded(*keys)
        return user
