"""The operators' Models page in the Django admin: the catalogue with licences, sources, hash status and what is
installed here; install (a job with live progress, after the licence tick) and remove."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audio.jobs import QueueUnavailable, start_job
from audio.models import ProcessingJob

from . import services
from .models import ModelInstall

RECENT_JOBS = 20


@admin.register(ModelInstall)
class ModelInstallAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(job_type=ProcessingJob.Type.MODEL_INSTALL)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("install/", wrap(self.install_view), name="modelstore_modelinstall_install"),
            path("remove/", wrap(self.remove_view), name="modelstore_modelinstall_remove"),
            *super().get_urls(),
        ]

    def _here(self):
        return HttpResponseRedirect(reverse("admin:modelstore_modelinstall_changelist"))

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        from django.conf import settings

        jobs = list(self.get_queryset(request).order_by("-created_at")[:RECENT_JOBS])
        active = {j.input_params.get("name") for j in jobs if j.status in ProcessingJob.ACTIVE}
        rows = services.catalogue()
        for row in rows:  # short link texts: the file (or repository) name, the host in the title
            row["links"] = [{"url": s, "label": s.rstrip("/").rsplit("/", 1)[-1] if "huggingface.co" not in s
                             else s.split("huggingface.co/", 1)[1], "host": s.split("/")[2]}
                            for s in row["source"] if s.startswith("https://")]
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Models",
            "models": rows, "jobs": jobs, "active": active, "models_dir": settings.MODELS_DIR,
            "mirror": settings.MODELS_MIRROR, "can_manage": request.user.is_superuser,
        }
        return TemplateResponse(request, "admin/modelstore/catalogue.html", {**context, **(extra_context or {})})

    def install_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.is_superuser:
            raise PermissionDenied
        from .actors import install_model

        name = request.POST.get("name", "")
        accept, unpinned = request.POST.get("accept_licence") == "on", request.POST.get("allow_unpinned") == "on"
        try:
            services.check_install(name, accept, unpinned)
        except ValueError as exc:
            messages.error(request, str(exc))
            return self._here()
        running = self.get_queryset(request).filter(status__in=ProcessingJob.ACTIVE, input_params__name=name)
        if running.exists():
            messages.warning(request, f"{name} is already being installed.")
            return self._here()
        who = request.user.get_username()
        params = {"name": name, "accept_licence": accept, "allow_unpinned": unpinned,
                  "accepted_by": f"{who} (admin)"}
        try:
            start_job(request.user, ProcessingJob.Type.MODEL_INSTALL, install_model, params=params)
        except QueueUnavailable:
            messages.error(request, "The job queue is not reachable; try again in a moment.")
            return self._here()
        messages.success(request, f"Installing {name}: follow it below.")
        return self._here()

    def remove_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.is_superuser:
            raise PermissionDenied
        name = request.POST.get("name", "")
        try:
            removed = services.remove(name)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Removed {name} ({len(removed)} files).")
        return self._here()
