from sonicai.api import route

from . import api

urlpatterns = [
    route("auth/register", api.RegisterView.as_view(), "auth-register"),
    route("auth/login", api.LoginView.as_view(), "auth-login"),
    route("auth/refresh", api.RefreshView.as_view(), "auth-refresh"),
    route("auth/logout", api.LogoutView.as_view(), "auth-logout"),
    route("auth/password", api.PasswordView.as_view(), "auth-password"),
    route("auth/me", api.MeView.as_view(), "auth-me"),
]
