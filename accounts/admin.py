from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError

from .forms import LoginForm
from .lockout import SignInLocked, check_not_locked, unlock_account
from .models import User


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in says that the account is locked for a while, as the studio's does, instead of
    "enter the correct username and password" for the right password (the backend refuses it either way)."""

    def clean(self):
        # As the studio's sign-in: an email address or the name in other capitals finds the account.
        username = LoginForm.username_for(self.cleaned_data.get("username"))
        self.cleaned_data["username"] = username
        try:
            check_not_locked(self.request, username)
        except SignInLocked as exc:
            raise ValidationError(str(exc), code="locked") from None
        return super().clean()


admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(User)
class SonicUserAdmin(UserAdmin):
    list_display = ("username", "email", "plan", "is_verified", "is_active", "is_staff", "created_at")
    list_filter = ("plan", "is_verified", "is_active", "is_staff")
    search_fields = ("username", "email")
    ordering = ("-created_at",)
    fieldsets = UserAdmin.fieldsets + (("SonicAI", {"fields": ("plan", "is_verified")}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("SonicAI", {"fields": ("email", "plan")}),)
    actions = ["unlock_signins"]

    @admin.action(description="Let them sign in again now (forget their failed sign-ins)")
    def unlock_signins(self, request, queryset):
        for user in queryset:
            unlock_account(user.get_username())
        self.message_user(request, f"{queryset.count()} account(s) may sign in again now. An address locked for "
                                   "failing over many accounts: manage.py unlock_signins --address ADDRESS.")
