from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class SonicUserAdmin(UserAdmin):
    list_display = ("username", "email", "plan", "is_verified", "is_active", "is_staff", "created_at")
    list_filter = ("plan", "is_verified", "is_active", "is_staff")
    search_fields = ("username", "email")
    ordering = ("-created_at",)
    fieldsets = UserAdmin.fieldsets + (("SonicAI", {"fields": ("plan", "is_verified")}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("SonicAI", {"fields": ("email", "plan")}),)
