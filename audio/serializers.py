from rest_framework import serializers

from .jobs import job_payload
from .models import AudioFile, ProcessingJob


class AudioFileSerializer(serializers.ModelSerializer):
    analysis_status = serializers.SerializerMethodField()

    class Meta:
        model = AudioFile
        fields = ["id", "original_name", "file_size", "duration", "format", "sample_rate", "channels", "bit_depth",
                  "source", "parent", "created_at", "analysis_status"]

    def get_analysis_status(self, obj) -> str:
        if hasattr(obj, "has_analysis"):  # annotated by with_analysis_status(): no query per row
            return "completed" if obj.has_analysis else obj.last_analysis_status or "none"
        if obj.analysis:
            return "completed"
        job = obj.jobs.filter(job_type=ProcessingJob.Type.ANALYSIS).order_by("-created_at").first()
        return job.status if job else "none"


def with_analysis_status(queryset):
    """Library rows for listing: without their large JSON fields (waveform peaks, the full
    analysis), with what analysis_status needs computed by the database in the same query."""
    from django.db.models import OuterRef, Q, Subquery

    last_job = (ProcessingJob.objects.filter(audio_file=OuterRef("pk"), job_type=ProcessingJob.Type.ANALYSIS)
                .order_by("-created_at").values("status")[:1])
    return (queryset.defer("waveform_data", "analysis")
            .annotate(has_analysis=Q(analysis__isnull=False), last_analysis_status=Subquery(last_job)))


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


class JobSerializer(serializers.ModelSerializer):
    error_message = serializers.CharField(allow_null=True, help_text="Why the job failed; null while it has not")
    stage = serializers.CharField(allow_blank=True)
    audio_file_id = serializers.UUIDField(allow_null=True, read_only=True,
                                          help_text="The song the job works on; null for a generation")

    class Meta:
        model = ProcessingJob
        fields = ["id", "job_type", "status", "progress", "stage", "error_message", "audio_file_id", "input_params",
                  "result", "created_at", "started_at", "completed_at"]

    def to_representation(self, instance):
        data = job_payload(instance)
        data["input_params"] = instance.input_params
        return data


class JobStartedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.CharField()
    summary = serializers.CharField(help_text="The job's parameters in words, e.g. 'spleeter · whole song'")
