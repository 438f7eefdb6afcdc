from django.contrib.auth import authenticate, password_validation
from rest_framework import serializers
from rest_framework_simplejwt.tokens import RefreshToken

from .lockout import check_not_locked
from .models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "plan", "is_verified", "is_active",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "plan", "is_verified", "is_active", "created_at", "updated_at"]

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
        return User.objects.create_user(**validated_data)


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
        refresh = RefreshToken.for_user(user)
        return {"access": str(refresh.access_token), "refresh": str(refresh), "user": user}


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()
