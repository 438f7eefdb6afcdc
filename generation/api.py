import secrets

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from audio import storage
from audio.api import JobDetailView, job_started
from audio.describe import download_name, song_title
from audio.engine_notes import for_user, unavailable_detail
from audio.jobs import start_job
from audio.models import ProcessingJob
from audio.serializers import JobSerializer, JobStartedSerializer
from sonicai.api import NumberField, WholeNumberField

from . import services
from .actors import generate_music
from .models import GeneratedTrack

_SEED = "The seed must be a whole number from 0 to 2147483647 (or empty for a new one each time)."
_DURATION = f"{services.DURATION_RANGE[0]:.0f} to {services.DURATION_RANGE[1]:.0f} s"


class GenerateRequest(serializers.Serializer):
    prompt = serializers.CharField(max_length=1000, error_messages={
        "blank": "Describe the music you want in the prompt.", "required": "Describe the music you want.",
        "null": "Describe the music you want in the prompt.",
        "max_length": "The prompt is limited to 1000 characters; shorten it."})
    duration = NumberField(
        default=30.0, min_value=services.DURATION_RANGE[0], max_value=services.DURATION_RANGE[1], error_messages={
            "null": f"Give the duration in seconds ({_DURATION}).",
            "invalid": f"The duration must be a number of seconds ({_DURATION}).",
            **dict.fromkeys(("min_value", "max_value"), "The duration must be between {:.0f} and {:.0f} s.".format(
                *services.DURATION_RANGE))})
    seed = WholeNumberField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1,
                                    error_messages={key: _SEED for key in ("min_value", "max_value", "invalid")})
    model = serializers.CharField(required=False, allow_blank=True)  # none: the best installed model
    guidance_scale = NumberField(required=False, default=3.0, min_value=0.0, max_value=15.0)
    temperature = NumberField(required=False, default=1.0, min_value=0.05, max_value=2.0)

    def to_internal_value(self, data):
        # The command line says --engine; here the same choice is `model`. Dropped silently, the guess would run
        # the default engine for the whole duration.
        if hasattr(data, "keys") and "engine" in data and "model" not in data:
            raise serializers.ValidationError({"engine": [
                f"Choose the engine with the field \"model\" (\"model\": \"{data['engine']}\")."]})
        return super().to_internal_value(data)


class TrackSerializer(serializers.ModelSerializer):
    class Meta:
        model = GeneratedTrack
        fields = ["id", "job", "prompt", "duration", "model_used", "seed", "model_params", "result_file",
                  "created_at"]


class TextToMusicView(APIView):
    @extend_schema(request=GenerateRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        body = GenerateRequest(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        if d.get("seed") is None:
            d["seed"] = secrets.randbelow(2**31)
        d["model"] = d.get("model") or services.default_model()
        models = {m["model"]: m for m in services.list_models()}
        if d["model"] in models and not models[d["model"]]["installed"]:
            return Response({"model": [unavailable_detail(request.user, d["model"], models[d["model"]]["message"])]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            services.validate_request(d["prompt"], d["duration"], d["model"])
        except ValueError as exc:  # said against the field to change, so the page can show it there
            field = "duration" if "duration" in str(exc) or " s in one piece" in str(exc) else \
                "prompt" if "prompt" in str(exc).lower() else "model"
            return Response({field: [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return job_started(start_job(request.user, ProcessingJob.Type.GENERATE, generate_music, params=d))


class GenerateJobView(JobDetailView):
    job_types = (ProcessingJob.Type.GENERATE,)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        job = self.get_job(request, pk)
        track = job.generated_tracks.first()
        return Response({**JobSerializer(job).data, "track": TrackSerializer(track).data if track else None})


class GenerateDownloadView(GenerateJobView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        job = self.get_job(request, pk)
        keys = job.result_s3_keys or {}
        if job.status != ProcessingJob.Status.COMPLETED or "audio" not in keys:
            return Response({"detail": f"The job is {job.status}; the result exists once it has completed."},
                            status=status.HTTP_409_CONFLICT)
        track = job.generated_tracks.select_related("result_file").first()
        title = song_title(track.result_file.original_name) if track and track.result_file else \
            song_title(services.track_title(job.input_params.get("prompt", "generated")))
        out = {"url": storage.download_url(request, keys["audio"], download_name(title, None, "wav")),
               "expires_in": settings.DOWNLOAD_URL_EXPIRY, "filename": download_name(title, None, "wav")}
        if "midi" in keys:
            out["midi_url"] = storage.download_url(request, keys["midi"], download_name(title, None, "mid"))
        return Response(out)


class HistoryView(generics.ListAPIView):
    serializer_class = TrackSerializer

    def get_queryset(self):
        return GeneratedTrack.objects.filter(user=self.request.user).order_by("-created_at")


class ModelsView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response({"models": for_user(request.user, services.list_models()),
                         "default": services.default_model()})
