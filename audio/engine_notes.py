"""What a musician is told about engines and models that this server has not installed.

Install instructions name server paths, download switches and commands: they are for operators (staff
accounts, the Django admin and the README). Everyone else reads that the studio does not offer the engine.
"""

from __future__ import annotations

NOT_INSTALLED = "not installed on this server"
READY = "ready"


def is_operator(user) -> bool:
    return bool(getattr(user, "is_staff", False))


def note(user, installed: bool, message: str) -> str:
    """The message as stored for operators; "ready" / "not installed on this server" for musicians."""
    if is_operator(user):
        return message
    return READY if installed else NOT_INSTALLED


def for_user(user, entries: list[dict], ok_key: str = "installed") -> list[dict]:
    """Engine or model list entries with their ``message`` put for this user (the list's shape is unchanged)."""
    return [{**e, "message": note(user, bool(e.get(ok_key)), str(e.get("message", "")))} for e in entries]


def unavailable_detail(user, name: str, message: str) -> str:
    """The refusal for a request that names an engine this server lacks."""
    if is_operator(user):
        return message
    return (f"{name} is not installed on this server; choose another engine, or ask the studio's operator "
            "to install it.")
