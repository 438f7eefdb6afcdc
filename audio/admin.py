from django.contrib import admin, messages

from .jobs import JobError, QueueUnavailable, cancel_job, retry_job
from .models import AudioFile, ProcessingJob


@admin.register(AudioFile)
class AudioFileAdmin(admin.ModelAdmin):
    list_display = ("original_name", "user", "format", "duration", "sample_rate", "channels", "file_size", "source",
                    "created_at")
    list_filter = ("format", "source", "sample_rate", "channels", "created_at")
    search_fields = ("original_name", "user__username", "user__email", "s3_key")
    readonly_fields = ("id", "s3_key", "s3_bucket", "file_size", "created_at")
    raw_id_fields = ("user", "parent")
    date_hierarchy = "created_at"


@admin.register(ProcessingJob)
class ProcessingJobAdmin(admin.ModelAdmin):
    list_display = ("id", "job_type", "status", "progress", "stage", "user", "audio_file", "queue", "created_at",
                    "completed_at")
    list_filter = ("status", "job_type", "queue", "created_at")
    search_fields = ("id", "user__username", "user__email", "task_id", "error_message")
    raw_id_fields = ("user", "audio_file")
    date_hierarchy = "created_at"
    actions = ["cancel_jobs", "retry_jobs"]

    # A job is made by a request and advanced by a worker (audio/jobs.py): an operator reads it, cancels or
    # retries it, but neither creates one (it would never be queued) nor edits its status by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # the list and its actions, no edit form

    @admin.action(description="Cancel selected pending/running jobs")
    def cancel_jobs(self, request, queryset):
        count = sum(cancel_job(job) for job in queryset.filter(status__in=ProcessingJob.ACTIVE))
        self.message_user(request, f"Cancelled {count} job(s).")

    @admin.action(description="Retry selected failed/cancelled jobs")
    def retry_jobs(self, request, queryset):
        started = 0
        ended_badly = (ProcessingJob.Status.FAILED, ProcessingJob.Status.CANCELLED)
        for job in queryset.filter(status__in=ended_badly):  # a completed job's result is there already
            try:
                retry_job(job)
                started += 1
            except (JobError, QueueUnavailable) as exc:
                self.message_user(request, f"{job.id}: {exc}", level=messages.ERROR)
        self.message_user(request, f"Started {started} new job(s).")
