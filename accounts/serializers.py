import time

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from .lockout import check_not_locked
from .models import TAKEN, User, taken_username


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "plan", "is_verified", "is_active",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "plan", "is_verified", "is_active", "created_at", "updated_at"]

    def validate_username(self, value: str) -> str:
        if taken_username(value, self.instance):
            raise serializers.ValidationError(TAKEN)
        return value

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        qs = User.objects.filter(email__iexact=value)
        if self.instance is not None:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise serializers.ValidationError("A user with this email already exists.")
        return value


class RegisterSerializer(UserSerializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "password"]

    def validate(self, attrs):
        user = User(username=attrs.get("username"), email=attrs.get("email"))
        password_validation.validate_password(attrs["password"], user)
        return attrs

    def create(self, validated_data):
        try:
            with transaction.atomic():
                return User.objects.create_user(**validated_data)
        except IntegrityError:  # the same name in other capitals registered a moment ago
            raise serializers.ValidationError({"username": [TAKEN]}) from None


_NO_IDENTITY = "Give a username or email."


def _identity(data) -> str:
    get = getattr(data, "get", None)
    if get is None:
        return ""
    return str(get("username") or get("email") or "").strip()


class LoginSerializer(serializers.Serializer):
    """Username or email, plus password; answers with a JWT pair."""

    username = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    password = serializers.CharField(style={"input_type": "password"})

    def to_internal_value(self, data):
        # DRF stops at the field errors and never reaches validate(), so an empty body would name only the
        # password; a musician needs to hear about both things that are missing at once.
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict) and not _identity(data):
                exc.detail.setdefault("username", [_NO_IDENTITY])
            raise

    def validate(self, attrs):
        from .forms import LoginForm

        ident = _identity(attrs)
        if not ident:
            raise serializers.ValidationError({"username": [_NO_IDENTITY]})
        username = LoginForm.username_for(ident)
        check_not_locked(self.context.get("request"), username)
        user = authenticate(self.context.get("request"), username=username, password=attrs["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError("Wrong username/email or password.")
        refresh = sign_in_tokens(user)
        return {"access": str(refresh.access_token), "refresh": str(refresh), "user": user}


#: When the sign-in that began a chain of refreshed tokens happened (seconds since the epoch).
SIGNED_IN_AT = "auth_time"


def _chain_end(token) -> int | None:
    """When the chain of refreshes a token belongs to ends (seconds since the epoch), if it says."""
    started = token.payload.get(SIGNED_IN_AT)
    return started + settings.SIGN_IN_MAX_DAYS * 86400 if isinstance(started, int) else None


class SignInToken(RefreshToken):
    """A refresh token whose expiry, and its access tokens', never reads later than its chain's end: the
    server refuses the chain then whatever a token says, and a client planning its next sign-in by ``exp``
    should not be told otherwise."""

    def set_exp(self, claim: str = "exp", from_time=None, lifetime=None) -> None:
        super().set_exp(claim, from_time, lifetime)
        end = _chain_end(self)
        if claim == "exp" and end is not None:
            self.payload["exp"] = min(self.payload["exp"], end)

    @property
    def access_token(self):
        access = super().access_token
        end = _chain_end(self)
        if end is not None:
            access.payload["exp"] = min(access.payload["exp"], end)
        return access


def sign_in_tokens(user) -> SignInToken:
    """A new token pair for a sign-in: it carries the password's digest (a new password ends it, checked by
    simplejwt's CHECK_REVOKE_TOKEN) and the time of the sign-in, which refreshing keeps."""
    refresh = SignInToken.for_user(user)
    refresh[SIGNED_IN_AT] = int(time.time())
    return refresh


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, which would rotate a refresh token issued before a password change and renew it
    for ever, refuses both: tokens end with the password they were issued under, and a chain of refreshes
    ends SIGN_IN_MAX_DAYS after its sign-in."""

    token_class = SignInToken

    def validate(self, attrs):
        from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

        try:
            token = self.token_class(attrs["refresh"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token.get(jwt_settings.USER_ID_CLAIM)}).first()
        if jwt_settings.REVOKE_TOKEN_CLAIM not in token.payload or SIGNED_IN_AT not in token.payload:
            raise AuthenticationFailed("This sign-in is from before the studio's last update. Log in again.",
                                       "sign_in_outdated")
        if user is None or token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("This sign-in has ended (the password was changed since). Log in again.",
                                       "password_changed")
        signed_in_at = token.get(SIGNED_IN_AT)
        if not isinstance(signed_in_at, int) or time.time() - signed_in_at > settings.SIGN_IN_MAX_DAYS * 86400:
            raise AuthenticationFailed(f"This sign-in is over {settings.SIGN_IN_MAX_DAYS} days old. Log in again.",
                                       "sign_in_too_old")
        return super().validate(attrs)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(style={"input_type": "password"})
    new_password = serializers.CharField(style={"input_type": "password"})

    def validate_old_password(self, value: str) -> str:
        request = self.context["request"]
        # Guessing the current password with a stolen token counts against the account as failed sign-ins do.
        check_not_locked(request, request.user.get_username())
        if not request.user.check_password(value):
            user_login_failed.send(sender=__name__, credentials={"username": request.user.get_username()},
                                   request=request)
            raise serializers.ValidationError("That is not your current password.")
        return value

    def validate(self, attrs):
        password_validation.validate_password(attrs["new_password"], self.context["request"].user)
        return attrs


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()
