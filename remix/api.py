from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from audio.api import AudioJobRequest, JobDetailView, job_started, owned_audio_for
from audio.engine_notes import for_user, unavailable_detail
from audio.jobs import start_job
from audio.models import ProcessingJob
from audio.serializers import JobSerializer, JobStartedSerializer
from sonicai.api import ChoiceField, NumberField, WholeNumberField
from sonicai.music.remix.genres import ARRANGER, GENRE_ENGINES, GENRES
from sonicai.music.remix.pipeline import PITCH_RANGE, TEMPO_PERCENT_RANGE, RemixParams, genre_engines

from .actors import dsp_remix, genre_remix
from .models import Remix


def _range_error(name: str, lo: float, hi: float, unit: str) -> dict:
    text = f"{lo:g} to {hi:g}{' ' + unit if unit else ''}"
    # The range messages go through Django's validators, which %-format them ("%" alone: "incomplete format");
    # "invalid" goes through DRF's str.format.
    bound = f"The {name} must be {text}.".replace("%", "%%")
    return {"min_value": bound, "max_value": bound, "invalid": f"The {name} must be a number ({text})."}


class RemixRequest(AudioJobRequest):
    """Every remix endpoint takes the whole chain: a page that sets tempo and pitch and effects sends them all,
    and the job applies them all (genre -> tempo -> pitch -> effects, see remix.pipeline)."""

    semitones = NumberField(required=False, allow_null=True, min_value=-12, max_value=12,
                                       help_text="pitch shift, -12 to +12 semitones, fractions allowed",
                                       error_messages=_range_error("pitch shift", -12, 12, "semitones"))
    preserve_formants = serializers.BooleanField(required=False, default=False)
    effects = serializers.JSONField(required=False, allow_null=True,
                                    help_text="an ordered list of effects, or a preset name (GET /remix/options)")

    def validate_effects(self, value):
        return checked_effects(value)


class GenreRequest(RemixRequest):
    genre = serializers.CharField(help_text=f"one of {', '.join(GENRES)}",
                                  error_messages={"blank": "Choose a genre.", "required": "Choose a genre."})
    genre_engine = ChoiceField(choices=list(GENRE_ENGINES), default=ARRANGER,
                               help_text="musicgen-melody needs its weights installed")
    target_bpm = NumberField(required=False, allow_null=True, min_value=20, max_value=300,
                                        error_messages=_range_error("target tempo", 20, 300, "BPM"))
    seed = WholeNumberField(required=False, default=0, min_value=0, max_value=2**31 - 1)

    def validate_genre(self, value):
        if value.lower() not in GENRES:
            raise serializers.ValidationError(f"There is no genre called {value!r}; choose one of "
                                              f"{', '.join(GENRES)}.")
        return value.lower()


class TempoRequest(RemixRequest):
    tempo_change = NumberField(required=False, allow_null=True, min_value=-50, max_value=100,
                                          help_text="percent, -50 to +100",
                                          error_messages=_range_error("tempo change", -50, 100, "%"))
    target_bpm = NumberField(required=False, allow_null=True, min_value=20, max_value=300,
                                        error_messages=_range_error("target tempo", 20, 300, "BPM"))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if (attrs.get("tempo_change") is None) == (attrs.get("target_bpm") is None):
            raise serializers.ValidationError(
                {"target_bpm": "Give either a target tempo in BPM or a tempo change in percent (one of them)."})
        if attrs.get("tempo_change") == 0 and not attrs.get("semitones") and not attrs.get("effects"):
            raise serializers.ValidationError(
                {"tempo_change": "A tempo change of 0 % leaves the song as it is: choose one from -50 to +100 %."})
        return attrs


class PitchRequest(RemixRequest):
    semitones = NumberField(min_value=-12, max_value=12, help_text="-12 to +12, fractions allowed",
                                       error_messages={**_range_error("pitch shift", -12, 12, "semitones"),
                                                       "required": "Give the pitch shift in semitones."})

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["semitones"] == 0 and not attrs.get("effects"):  # a job that made a copy and said nothing
            raise serializers.ValidationError(
                {"semitones": "A shift of 0 semitones leaves the song as it is: choose one from -12 to +12."})
        return attrs


class EffectsRequest(RemixRequest):
    effects = serializers.JSONField(help_text="an ordered list of effects, or a preset name",
                                    error_messages={"required": "Add at least one effect."})

    def validate_effects(self, value):
        chain = checked_effects(value)
        if not chain:
            raise serializers.ValidationError("Add at least one effect.")
        if not any(e.get("enabled", True) for e in chain):  # it rendered a copy of the song, named "(effects)"
            raise serializers.ValidationError("Every effect in the chain is switched off: switch one on.")
        return chain


def checked_effects(value):
    """The chain normalised, or a 400 that names the effect and parameter to change.

    The DSP clamps out-of-range numbers the way a knob stops (the CLI relies on that); a request that asks for
    ``room_size: 999`` would silently get 1.0, so the API refuses it and says the range instead."""
    from sonicai.music.transform.effects import EFFECT_SPECS, validate_chain

    if value in (None, "", []):
        return None
    problems: list[str] = []
    chain = value.get("chain") if isinstance(value, dict) and "chain" in value else value
    if isinstance(chain, list):
        for i, item in enumerate(chain):
            if isinstance(item, dict) and item.get("type") in EFFECT_SPECS:
                problems += _out_of_range(item, EFFECT_SPECS[item["type"]], f"effect {i + 1} ({item['type']})")
    if problems:
        raise serializers.ValidationError(problems)
    try:
        return validate_chain(value)
    except ValueError as exc:  # an unknown preset's sentence lists the presets already
        raise serializers.ValidationError(f"The effects chain is not valid: {exc}.") from None


def _out_of_range(item: dict, specs: dict, where: str) -> list[str]:
    out = []
    for name, spec in specs.items():
        value = item.get(name)
        if spec.get("type") == "bands" and isinstance(value, list):
            for j, band in enumerate(value):
                if isinstance(band, dict):
                    out += _out_of_range(band, spec["items"], f"{where} band {j + 1}")
            continue
        if "min" not in spec or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not spec["min"] <= value <= spec["max"]:
            unit = spec.get("unit", "")
            unit = "" if unit == "ratio" else f" {unit}"
            out.append(f"{where}: {name.replace('_', ' ')} is {value:g}; it must be from {spec['min']:g} to "
                       f"{spec['max']:g}{unit}.")
    return out


class RemixSerializer(serializers.ModelSerializer):
    class Meta:
        model = Remix
        fields = ["id", "job", "original_file", "result_file", "genre", "tempo_change", "pitch_change",
                  "effects_applied", "created_at"]


def _start(request, body_cls, job_type, actor, to_params, check=None):
    body = body_cls(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    af = owned_audio_for(request, data)
    if check is not None:
        check(data, af)
    params = {"start": data.get("start"), "end": data.get("end"), "pitch": data.get("semitones") or 0.0,
              "preserve_formants": data.get("preserve_formants", False), "effects": data.get("effects"),
              **to_params(data)}
    RemixParams(**{k: v for k, v in params.items()}).validate()  # 400 before anything is queued
    return job_started(start_job(request.user, job_type, actor, audio_file=af, params=params))


def _worked_seconds(af, data: dict) -> float | None:
    """How long the song, or the region asked for, lasts (None while the song's length is unknown)."""
    if not af.duration:
        return None
    return (data.get("end") or af.duration) - (data.get("start") or 0.0)


def _genre_checked(data: dict, af) -> dict:
    from sonicai.music.remix.genre import MIN_SECONDS

    seconds = _worked_seconds(af, data)
    if seconds is not None and seconds < MIN_SECONDS:  # refused now, not by a failed job later
        raise ValueError(f"A genre remix needs at least {MIN_SECONDS:g} s of audio; this lasts {seconds:.1f} s.")
    return data


def _tempo_checked(data: dict, af) -> dict:
    from sonicai.music.transform.stretch import check_target_bpm

    analysis = af.analysis or {}
    if data.get("target_bpm") and "tempo_bpm" in analysis and not analysis["tempo_bpm"]:
        raise ValueError("No steady beat was found in this song, so it cannot be set to a BPM; change its tempo "
                         "by a percentage instead.")
    if data.get("target_bpm") and analysis.get("tempo_bpm"):  # refused now, not by a failed job later
        check_target_bpm(data["target_bpm"], float(analysis["tempo_bpm"]))
    return data


class GenreView(APIView):
    @extend_schema(request=GenreRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, GenreRequest, ProcessingJob.Type.REMIX, genre_remix,
                      lambda d: _genre_params(d, request.user), check=_genre_checked)


def _genre_params(data: dict, user=None) -> dict:
    if data["genre_engine"] != ARRANGER:
        from django.conf import settings

        state = next(e for e in genre_engines(settings.MODELS_DIR) if e["engine"] == data["genre_engine"])
        if not state["installed"]:  # refused before a job is queued
            raise ValueError(unavailable_detail(user, state["engine"], state["message"]))
    return {"genre": data["genre"].lower(), "target_bpm": data.get("target_bpm"), "seed": data.get("seed", 0),
            "genre_engine": data["genre_engine"]}


class TempoView(APIView):
    @extend_schema(request=TempoRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, TempoRequest, ProcessingJob.Type.TEMPO, dsp_remix, lambda d: {
            "tempo_change": d.get("tempo_change"), "target_bpm": d.get("target_bpm")}, check=_tempo_checked)


class PitchView(APIView):
    @extend_schema(request=PitchRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, PitchRequest, ProcessingJob.Type.PITCH, dsp_remix, lambda d: {})


class EffectsView(APIView):
    @extend_schema(request=EffectsRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        return _start(request, EffectsRequest, ProcessingJob.Type.EFFECTS, dsp_remix, lambda d: {})


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

        engines = genre_engines(settings.MODELS_DIR)
        return Response({"genres": list(GENRES), "genre_engines": [engines[0], *for_user(request.user, engines[1:])],
                         "effects": EFFECT_SPECS, "presets": PRESETS,
                         "tempo_change_range": [int(v) for v in TEMPO_PERCENT_RANGE],
                         "pitch_range": [int(v) for v in PITCH_RANGE]})
