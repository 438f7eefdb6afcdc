from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from .models import User, username_key

CLOSED = "Sign-up is closed on this studio: ask its operator for an account."


class RegisterForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email


class LoginForm(AuthenticationForm):
    """Accepts a username or an email address."""

    username = forms.CharField(label="Username or email", max_length=254)

    @staticmethod
    def username_for(ident: str | None) -> str:
        """The username behind a username or an email address (as typed when none matches)."""
        ident = (ident or "").strip()
        if "@" in ident:
            return User.objects.filter(email__iexact=ident).values_list("username", flat=True).first() or ident
        if User.objects.filter(username=ident).exists():
            return ident
        # Usernames are unique whatever their case: "Alice" signs in as alice (and counts against her lockout).
        return User.objects.filter(username_key=username_key(ident)).values_list("username", flat=True).first() \
            or ident

    def clean(self):
        self.cleaned_data["username"] = self.username_for(self.cleaned_data.get("username"))
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username and password:
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
