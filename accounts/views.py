from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from sonicai.throttling import throttled_posts

from .forms import CLOSED, LoginForm, RegisterForm
from .lockout import SignInLocked, check_not_locked
from .models import TAKEN


@require_http_methods(["GET", "POST"])
@throttled_posts("auth")
def register(request):
    if request.user.is_authenticated:
        return redirect("audio:library")
    if settings.REGISTRATION != "open":
        return render(request, "accounts/register.html", {"closed": CLOSED}, status=403)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:  # the same name in other capitals registered a moment ago
            form.add_error("username", TAKEN)
        else:
            login(request, user, backend="accounts.backends.LockoutModelBackend")
            return redirect("audio:library")
    return render(request, "accounts/register.html", {"form": form})


@method_decorator(throttled_posts("auth"), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "registration_open": settings.REGISTRATION == "open"}

    def post(self, request, *args, **kwargs):
        try:
            check_not_locked(request, LoginForm.username_for(request.POST.get("username")))
        except SignInLocked as exc:
            form = self.get_form()
            form.add_error(None, str(exc))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """POST signs out (a link cannot do it behind your back); a GET, as from a typed address, asks first
    instead of answering 405 with an empty page."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("accounts:login")
        return render(request, "accounts/logout.html")


@method_decorator(throttled_posts("auth"), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own: this browser stays signed in, every other session and every API token ends."""

    template_name = "accounts/password.html"
    success_url = reverse_lazy("audio:library")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Password changed. Other browsers and API tokens signed in with the old "
                                       "one are signed out.")
        return response
