from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from sonicai.throttling import AuthRateThrottle

from .forms import CLOSED
from .serializers import (
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    RegisterSerializer,
    UserSerializer,
    sign_in_tokens,
)

_TOKENS = inline_serializer("TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()})


class _AuthThrottled:
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth"


class RegistrationOpen(permissions.BasePermission):
    message = CLOSED

    def has_permission(self, request, view) -> bool:
        return settings.REGISTRATION == "open"


class RegisterView(_AuthThrottled, generics.CreateAPIView):
    permission_classes = [RegistrationOpen]
    authentication_classes = []
    serializer_class = RegisterSerializer


class LoginView(_AuthThrottled, APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(request=LoginSerializer, responses=_TOKENS)
    def post(self, request):
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # As a page sign-in does: records last_login and clears this address's failed attempts for the account.
        user_logged_in.send(sender=data["user"].__class__, request=request, user=data["user"])
        return Response({"access": data["access"], "refresh": data["refresh"],
                         "user": UserSerializer(data["user"]).data})


class RefreshView(_AuthThrottled, TokenRefreshView):
    """Rotates the refresh token: the old one is blacklisted."""


class LogoutView(APIView):
    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
            if str(token.get("user_id")) != str(request.user.pk):
                return Response({"detail": "That token is not yours."}, status=status.HTTP_400_BAD_REQUEST)
            token.blacklist()
        except TokenError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class PasswordView(_AuthThrottled, APIView):
    """Change your password: every token and page session signed in under the old one ends; the answer is a
    new token pair for this client."""

    @extend_schema(request=PasswordChangeSerializer, responses=_TOKENS)
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = request.user
        user.set_password(serializer.validated_data["new_password"])
        user.save(update_fields=["password"])
        if request.auth is None:  # asked with this browser's session cookie: it stays signed in, as on the page
            update_session_auth_hash(request, user)
        refresh = sign_in_tokens(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
