from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

TAKEN = "That username is taken (usernames are the same whatever their capitals)."


def taken_username(username: str, instance: User | None = None) -> bool:
    """Whether another account has this username in any case: "Alice" beside "alice" would let one person pass
    for the other, and would share her sign-in lockout."""
    others = User.objects.filter(username__iexact=(username or "").strip())
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
        super().save(*args, **kwargs)
