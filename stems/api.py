from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from audio import storage
from audio.api import AudioJobRequest, JobDetailView, job_started, owned_audio, owned_audio_for
from audio.describe import download_name, region_in_file_name, song_title
from audio.engine_notes import for_user, unavailable_detail
from audio.jobs import SONG_DELETED, start_job
from audio.models import ProcessingJob
from audio.serializers import JobStartedSerializer
from sonicai.api import ChoiceField

from . import services
from .actors import mix_stems, separate_stems
from .models import Stem


class SeparateRequest(AudioJobRequest):
    engine = serializers.CharField(required=False, allow_blank=True)


class MixRequest(serializers.Serializer):
    gains = serializers.DictField(required=False, default=dict,
                                  help_text='{"vocals": -3.0, "drums": {"gain_db": 0, "mute": false, "solo": false}}')
    format = ChoiceField(choices=services.EXPORT_FORMATS, default="wav")


def stem_label(stem: Stem) -> str:
    """"vocals", or "vocals (5–15 s)" for a region's stems: the two downloads must not share a name (and a
    file name cannot hold the colon of "0:05")."""
    span = region_in_file_name(stem.job.input_params or {})
    return f"{stem.stem_type} ({span})" if span else stem.stem_type


def stem_data(request, stem: Stem) -> dict:
    return {
        "id": str(stem.id), "stem_type": stem.stem_type, "model_used": stem.model_used, "duration": stem.duration,
        "job_id": str(stem.job_id), "audio_file_id": str(stem.audio_file_id),
        "download_url": storage.download_url(
            request, stem.s3_key, download_name(song_title(stem.audio_file.original_name), stem_label(stem), "flac")),
        "created_at": stem.created_at.isoformat(),
    }


class EnginesView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        engines = for_user(request.user, services.engines(), ok_key="available")
        return Response({"engines": engines, "default": services.default_engine()})


class SeparateView(APIView):
    @extend_schema(request=SeparateRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        body = SeparateRequest(data=request.data)
        body.is_valid(raise_exception=True)
        af = owned_audio_for(request, body.validated_data)
        name = body.validated_data.get("engine") or services.default_engine()
        known = {e["name"]: e for e in services.engines()}
        if name not in known:
            return Response({"detail": f"There is no engine called {name!r}; choose one of {', '.join(known)}."},
                            status=400)
        if not known[name]["available"]:
            return Response({"detail": unavailable_detail(request.user, name, known[name]["message"])}, status=400)
        params = {"engine": name, "start": body.validated_data.get("start"), "end": body.validated_data.get("end")}
        return job_started(start_job(request.user, ProcessingJob.Type.STEM_SEPARATION, separate_stems,
                                     audio_file=af, params=params))


class StemJobView(JobDetailView):
    job_types = (ProcessingJob.Type.STEM_SEPARATION,)


class StemResultsView(StemJobView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        job = self.get_job(request, pk)
        if job.song_deleted:
            return Response({"detail": SONG_DELETED, "status": job.status, "progress": job.progress},
                            status=status.HTTP_409_CONFLICT)
        if job.status != ProcessingJob.Status.COMPLETED:
            return Response({"detail": f"The job is {job.status}; results exist once it has completed.",
                             "status": job.status, "progress": job.progress}, status=status.HTTP_409_CONFLICT)
        stems = job.stems.select_related("audio_file", "job").order_by("created_at")
        return Response({"job_id": str(job.id), "status": job.status, "engine": (job.result or {}).get("engine"),
                         "stems": [stem_data(request, s) for s in stems]})


class StemMixView(StemJobView):
    @extend_schema(request=MixRequest, responses={202: JobStartedSerializer})
    def post(self, request, pk):
        job = self.get_job(request, pk)
        if job.song_deleted:
            return Response({"detail": SONG_DELETED}, status=status.HTTP_409_CONFLICT)
        if job.status != ProcessingJob.Status.COMPLETED:
            return Response({"detail": "Separate the file first."}, status=status.HTTP_409_CONFLICT)
        body = MixRequest(data=request.data)
        body.is_valid(raise_exception=True)
        stem_types = list(job.stems.values_list("stem_type", flat=True))
        gains = services.clamp_gains(body.validated_data["gains"], stem_types)
        params = {"stems_job_id": str(job.id), "gains": gains, "format": body.validated_data["format"]}
        return job_started(start_job(request.user, ProcessingJob.Type.STEM_MIX, mix_stems,
                                     audio_file=job.audio_file, params=params))


class AudioStemsView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        af = owned_audio(request, pk)
        stems = Stem.objects.filter(audio_file=af).select_related("audio_file", "job").order_by("-created_at")
        return Response({"audio_file_id": str(af.id), "stems": [stem_data(request, s) for s in stems]})
