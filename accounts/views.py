from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from sonicai.throttling import throttled_posts

from .forms import LoginForm, RegisterForm
from .lockout import SignInLocked, check_not_locked


@require_http_methods(["GET", "POST"])
@throttled_posts("auth")
def register(request):
    if request.user.is_authenticated:
        return redirect("audio:library")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="accounts.backends.LockoutModelBackend")
        return redirect("audio:library")
    return render(request, "accounts/register.html", {"form": form})


@method_decorator(throttled_posts("auth"), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

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
