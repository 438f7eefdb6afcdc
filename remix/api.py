from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from audio.api import AudioJobRequest, JobDetailView, job_started, owned_audio_for
from audio.jobs import start_job
from audio.models import ProcessingJob
from audio.serializers import JobSerializer, JobStartedSerializer
from sonicai.music.remix.genres import ARRANGER, GENRE_ENGINES, GENRES
from sonicai.music.remix.pipeline import PITCH_RANGE, TEMPO_PERCENT_RANGE, RemixParams, genre_engines

from .actors import dsp_remix, genre_remix
from .models import Remix


class GenreRequest(AudioJobRequest):
    genre = serializers.CharField(help_text=f"one of {', '.join(GENRES)}")
    genre_engine = serializers.ChoiceField(choices=list(GENRE_ENGINES), default=ARRANGER,
                                           help_text="musicgen-melody needs its weights installed")
    target_bpm = serializers.FloatField(required=False, allow_null=True)
    seed = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**31 - 1)
    effects = serializers.JSONField(required=False, allow_null=True)


class TempoRequest(AudioJobRequest):
    tempo_change = serializers.FloatField(required=False, allow_null=True, help_text="percent, -50 to +100")
    target_bpm = serializers.FloatField(required=False, allow_null=True)
    preserve_formants = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if (attrs.get("tempo_change") is None) == (attrs.get("target_bpm") is None):
            raise serializers.ValidationError("Give exactly one of tempo_change (percent) or target_bpm.")
        return attrs


class PitchRequest(AudioJobRequest):
    semitones = serializers.FloatField(help_text="-12 to +12, fractions allowed")
    preserve_formants = serializers.BooleanField(required=False, default=False)


class EffectsRequest(AudioJobRequest):
    effects = serializers.JSONField(help_text="an ordered list of effects, or a preset name")


class RemixSerializer(serializers.ModelSerializer):
    class Meta:
        model = Remix
        fields = ["id", "job", "original_file", "result_file", "genre", "tempo_change", "pitch_change",
                  "effects_applied", "created_at"]


def _start(request, body_cls, job_type, actor, to_params):
    body = body_cls(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    af = owned_audio_for(request, data)
    params = {"start": data.get("start"), "end": data.get("end"), **to_params(data)}
    RemixParams(**{k: v for k, v in params.items()}).validate()  # 400 before anything is queued
    return job_started(start_job(request.user, job_type, actor, audio_file=af, params=params))


class GenreView(APIView):
    @extend_schema(request=GenreRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, GenreRequest, ProcessingJob.Type.REMIX, genre_remix, _genre_params)


def _genre_params(data: dict) -> dict:
    if data["genre_engine"] != ARRANGER:
        from django.conf import settings

        state = next(e for e in genre_engines(settings.MODELS_DIR) if e["engine"] == data["genre_engine"])
        if not state["installed"]:  # refused before a job is queued, with how to install it
            raise ValueError(state["message"])
    return {"genre": data["genre"].lower(), "target_bpm": data.get("target_bpm"), "seed": data.get("seed", 0),
            "effects": data.get("effects"), "genre_engine": data["genre_engine"]}


class TempoView(APIView):
    @extend_schema(request=TempoRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, TempoRequest, ProcessingJob.Type.TEMPO, dsp_remix, lambda d: {
            "tempo_change": d.get("tempo_change"), "target_bpm": d.get("target_bpm"),
            "preserve_formants": d.get("preserve_formants", False)})


class PitchView(APIView):
    @extend_schema(request=PitchRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, PitchRequest, ProcessingJob.Type.PITCH, dsp_remix, lambda d: {
            "pitch": d["semitones"], "preserve_formants": d.get("preserve_formants", False)})


class EffectsView(APIView):
    @extend_schema(request=EffectsRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, EffectsRequest, ProcessingJob.Type.EFFECTS, dsp_remix,
                      lambda d: {"effects": d["effects"]})


class RemixJobView(JobDetailView):
    job_types = (ProcessingJob.Type.REMIX, ProcessingJob.Type.TEMPO, ProcessingJob.Type.PITCH,
                 ProcessingJob.Type.EFFECTS)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        job = self.get_job(request, pk)
        remix = job.remixes.first()
        return Response({**JobSerializer(job).data, "remix": RemixSerializer(remix).data if remix else None})


class RemixHistoryView(generics.ListAPIView):
    serializer_class = RemixSerializer

    def get_queryset(self):
        return Remix.objects.filter(user=self.request.user).order_by("-created_at")


class RemixOptionsView(APIView):
    """Genres, effect types with their parameter ranges, and presets."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        from django.conf import settings

        from sonicai.music.transform.effects import EFFECT_SPECS, PRESETS

        return Response({"genres": list(GENRES), "genre_engines": genre_engines(settings.MODELS_DIR),
                         "effects": EFFECT_SPECS, "presets": PRESETS,
                         "tempo_change_range": [int(v) for v in TEMPO_PERCENT_RANGE],
                         "pitch_range": [int(v) for v in PITCH_RANGE]})
