"""REST API of the practice tools: transcription jobs, their notes, and the lead sheet."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from audio.api import JobDetailView, job_started, not_ready, owned_audio
from audio.describe import download_name
from audio.jobs import SONG_DELETED, result_names, start_job
from audio.models import ProcessingJob
from audio.serializers import JobSerializer, JobStartedSerializer
from sonicai.api import ChoiceField

from . import services
from .actors import transcribe_stems


class TranscribeRequest(serializers.Serializer):
    audio_file_id = serializers.UUIDField()
    source = ChoiceField(choices=list(services.SOURCES), default=services.ALL_STEMS,
                         help_text="'stems' (every stem of the latest separation), 'mix', or one stem")


class TranscribeView(APIView):
    @extend_schema(request=TranscribeRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        body = TranscribeRequest(data=request.data)
        body.is_valid(raise_exception=True)
        af = owned_audio(request, body.validated_data["audio_file_id"])
        source = body.validated_data["source"]
        services.check_source(af, source)  # 400 with the reason before anything is queued
        return job_started(start_job(request.user, ProcessingJob.Type.TRANSCRIPTION, transcribe_stems,
                                     audio_file=af, params={"source": source}))


class TranscriptionView(JobDetailView):
    job_types = (ProcessingJob.Type.TRANSCRIPTION,)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        job = self.get_job(request, pk)
        keys = job.result_s3_keys if isinstance(job.result_s3_keys, dict) else {}
        return Response({**JobSerializer(job).data,
                         "downloads": [k for k in result_names(keys) if k != services.NOTES],
                         "download_url": f"/api/v1/jobs/{job.id}/download?name="})


class TranscriptionNotesView(JobDetailView):
    job_types = (ProcessingJob.Type.TRANSCRIPTION,)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        job = self.get_job(request, pk)
        notes = services.stored_notes(job)
        if notes is None:
            return Response({"detail": SONG_DELETED if job.song_deleted else
                             f"The transcription is {job.status}; its notes are not there yet.",
                             "status": job.status, "progress": job.progress}, status=409)
        return Response(notes)


FORMATS = {"json": None, "chordpro": ("text/plain; charset=utf-8", "cho"),
           "musicxml": ("application/vnd.recordare.musicxml+xml", "musicxml")}


class LeadSheetView(APIView):
    # ``?as=`` rather than ``?format=``: DRF reserves ``format`` to pick a renderer, and answers 404
    # for names it has no renderer for (chordpro, musicxml).
    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT,
                              (200, "text/plain"): OpenApiTypes.STR,
                              (200, "application/vnd.recordare.musicxml+xml"): OpenApiTypes.STR,
                              202: OpenApiTypes.OBJECT},
                   parameters=[OpenApiParameter("as", str, enum=list(FORMATS), description="json (default), "
                                                "chordpro (.cho) or musicxml")])
    def get(self, request, pk):
        af = owned_audio(request, pk)
        fmt = request.query_params.get("as", "json")
        if fmt not in FORMATS:
            return Response({"detail": f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}."}, status=400)
        if "chords" not in (af.analysis or {}):
            return not_ready(request, af, "lead sheet")
        return lead_sheet_response(af, fmt)


def lead_sheet_response(af, fmt: str):
    from sonicai.music.leadsheet import to_chordpro, to_musicxml

    sheet = services.lead_sheet(af)
    if fmt == "json":
        return Response(sheet.to_dict())
    content_type, ext = FORMATS[fmt]
    text = to_chordpro(sheet) if fmt == "chordpro" else to_musicxml(sheet)
    response = HttpResponse(text, content_type=content_type)
    # The song's own name, accents and all (RFC 6266 filename*), cleaned as every other download is.
    response["Content-Disposition"] = content_disposition_header(True, download_name(sheet.title, None, ext))
    return response
