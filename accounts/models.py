from __future__ import annotations

import unicodedata
import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models, transaction

from sonicai.realtime import end_live_updates

TAKEN = "That username is taken (usernames are the same whatever their capitals)."


def username_key(username: str | None) -> str:
    """What makes two usernames the same account: their letters whatever the case, in any script ("ÉMILE" is
    "émile", "STRASSE" is "straße"). SQLite's case-insensitive matching knows only ASCII, so the key is kept."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def taken_username(username: str, instance: User | None = None) -> bool:
    """Whether another account has this username in any case: "Alice" beside "alice" would let one person pass
    for the other, and would share her sign-in lockout."""
    others = User.objects.filter(username_key=username_key(username))
    if instance is not None and instance.pk:
        others = others.exclude(pk=instance.pk)
    return others.exists()


class User(AbstractUser):
    """A studio user. Logs in with username or email (both unique)."""

    class Plan(models.TextChoices):
        FREE = "free"
        PRO = "pro"
        ENTERPRISE = "enterprise"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    #: username_key(username), unique: two requests registering "carol" and "CAROL" at once cannot both succeed.
    #: Null only for accounts that shared a key before it existed (the older one keeps it).
    username_key = models.CharField(max_length=150, unique=True, null=True, editable=False)
    is_verified = models.BooleanField(default=False)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.FREE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    REQUIRED_FIELDS = ["email"]

    class Meta:
        db_table = "users"

    def clean(self):
        super().clean()
        if taken_username(self.username, self):  # the admin's forms ask the model
            raise ValidationError({"username": TAKEN})

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        self.username_key = username_key(self.username)
        if kwargs.get("update_fields") is not None and "username" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "username_key"}
        # Django keeps the raw password from set_password() until this save (its own hook for password
        # validators, which every path that sets a password goes through: pages, API, admin, changepassword;
        # not a sign-in upgrading the hash of the same password).
        password_changed = self._password is not None and not self._state.adding  # a new account has no sockets
        super().save(*args, **kwargs)
        if password_changed:
            user_id = self.pk
            transaction.on_commit(lambda: end_live_updates(user_id))
