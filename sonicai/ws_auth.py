"""WebSocket authentication: the session cookie (studio pages) or a JWT access token
in the ``token`` query parameter (API clients cannot set headers on a WebSocket)."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(raw: str):
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

    auth = JWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(raw))
    except (InvalidToken, TokenError, Exception):
        return AnonymousUser()


class JWTQueryAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = parse_qs(scope.get("query_string", b"").decode()).get("token", [None])[0]
        if token:
            scope = dict(scope, user=await _user_for_token(token))
        return await self.inner(scope, receive, send)


def auth_stack(inner):
    return AuthMiddlewareStack(JWTQueryAuthMiddleware(inner))


class BrowserOriginValidator(OriginValidator):
    """Channels' origin check, except that a handshake without an Origin header is let
    through: browsers always send one (so cross-site pages are still refused), while
    API clients and scripts usually send none and authenticate with a token."""

    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


def origin_checked(inner):
    from django.conf import settings

    hosts = list(settings.ALLOWED_HOSTS) or ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(inner, hosts)
