import base64
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sonicai.api import NumberField, get_owned

from . import describe, services, storage
from .jobs import SONG_DELETED, cancel_job, result_names, retry_job, start_analysis
from .models import AudioFile, ProcessingJob
from .serializers import AudioFileSerializer, JobSerializer, UploadSerializer, with_analysis_status
from .validation import UploadRejected

_UPLOADED = inline_serializer(
    "Uploaded", {"audio_file": AudioFileSerializer(), "id": serializers.UUIDField(), "job_id": serializers.UUIDField()}
)


#: A failed analysis is not restarted by every poll of its results: a client polling a file that
#: cannot be analysed sees the failure for this long, then one new attempt.
RETRY_FAILED_ANALYSIS_AFTER = timedelta(seconds=60)


def owned_audio(request, pk) -> AudioFile:
    return get_owned(AudioFile.objects.all(), request.user, pk)


class UploadView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=UploadSerializer, responses={201: _UPLOADED})
    def post(self, request):
        files = request.FILES.getlist("file")
        if not files:
            raise UploadRejected("Send the audio in a multipart field named 'file'.")
        if len(files) > 1:  # all but the last were dropped without a word
            raise UploadRejected(f"Send one song per upload; this request held {len(files)} files. "
                                 "Upload them one after another.")
        uploaded = files[0]
        af = services.accept_upload(request.user, uploaded)
        try:
            job = start_analysis(request.user, af)
        except Exception:
            services.delete_audio(af)
            raise
        data = AudioFileSerializer(af).data
        return Response({"id": str(af.id), "audio_file": data, "job_id": str(job.id), **data},
                        status=status.HTTP_201_CREATED)


class AudioListView(generics.ListAPIView):
    serializer_class = AudioFileSerializer

    def get_queryset(self):
        return with_analysis_status(AudioFile.objects.filter(user=self.request.user).order_by("-created_at"))


class AudioDetailView(APIView):
    @extend_schema(responses=AudioFileSerializer)
    def get(self, request, pk):
        return Response(AudioFileSerializer(owned_audio(request, pk)).data)

    @extend_schema(request=inline_serializer("Rename", {"original_name": serializers.CharField(max_length=255)}),
                   responses=AudioFileSerializer)
    def patch(self, request, pk):
        """Rename the song: the only field that changes (what it holds does not)."""
        af = owned_audio(request, pk)
        unknown = set(request.data) - {"original_name"} if hasattr(request.data, "keys") else {"body"}
        if unknown or "original_name" not in request.data:
            raise ValueError('Send {"original_name": "the new name"}: a song\'s name is all that can be changed.')
        services.audio_rename(af, request.data["original_name"])
        return Response(AudioFileSerializer(af).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.delete_audio(owned_audio(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DownloadView(APIView):
    @extend_schema(responses=inline_serializer("DownloadLink", {"url": serializers.URLField(),
                                                                "expires_in": serializers.IntegerField()}))
    def get(self, request, pk):
        return download_link(request, owned_audio(request, pk))


def download_link(request, af: AudioFile) -> Response:
    from django.conf import settings

    return Response({"url": storage.download_url(request, af.s3_key, af.original_name),
                     "expires_in": settings.DOWNLOAD_URL_EXPIRY, "filename": af.original_name})


class NotReadySerializer(serializers.Serializer):
    detail = serializers.CharField()
    job_id = serializers.UUIDField()
    status = serializers.CharField()
    progress = serializers.IntegerField()


_NOT_READY = {202: NotReadySerializer, 409: OpenApiTypes.OBJECT}


def not_ready(request, af: AudioFile, what: str) -> Response:
    """Answer for a result of the analysis job that is not there yet: the job that makes it
    (a new one when none is running). The web process never computes it itself."""
    job = af.jobs.filter(job_type=ProcessingJob.Type.ANALYSIS).order_by("-created_at").first()
    if job is not None and job.status == ProcessingJob.Status.FAILED and job.completed_at \
            and timezone.now() - job.completed_at < RETRY_FAILED_ANALYSIS_AFTER:
        return Response({"detail": f"The analysis of this file failed: {job.error_message}",
                         "job_id": str(job.id), "status": job.status, "progress": job.progress}, status=409)
    if job is None:
        job = start_analysis(request.user, af)
    elif not job.is_active:
        job = retry_job(job)  # with its parameters: a composed track's analysis keeps the key it was written in
    return Response({"detail": f"The {what} is not ready yet; the analysis job is making it.",
                     "job_id": str(job.id), "status": job.status, "progress": job.progress},
                    status=status.HTTP_202_ACCEPTED)


class WaveformView(APIView):
    @extend_schema(responses={200: inline_serializer("Waveform", {"peaks": serializers.ListField(),
                                                                  "duration": serializers.FloatField()}),
                              **_NOT_READY})
    def get(self, request, pk):
        af = owned_audio(request, pk)
        if not af.waveform_data:
            return not_ready(request, af, "waveform")
        return Response(af.waveform_data)


class SpectrogramView(APIView):
    @extend_schema(responses={200: inline_serializer("Spectrogram", {"image": serializers.CharField()}),
                              **_NOT_READY})
    def get(self, request, pk):
        af = owned_audio(request, pk)
        png = services.stored_spectrogram(af)
        if png is None:
            return not_ready(request, af, "spectrogram")
        b64 = base64.b64encode(png).decode("ascii")
        return Response({"format": "png", "encoding": "base64", "image": b64,
                         "data_url": f"data:image/png;base64,{b64}"})


class FeaturesView(APIView):
    @extend_schema(responses={200: inline_serializer("Features", {"tempo_bpm": serializers.FloatField()}),
                              **_NOT_READY})
    def get(self, request, pk):
        af = owned_audio(request, pk)
        if not af.analysis:
            return not_ready(request, af, "analysis")
        mood = af.moods.order_by("-created_at").first()
        from .describe import analysis_key

        # key_display spells the key as musicians write it ("B♭ major"); "key" keeps the contract's "A#".
        return Response({"audio_file_id": str(af.id), **af.analysis, "key_display": analysis_key(af.analysis),
                         "mood": _mood_summary(mood) if mood else None})


class ChordsView(APIView):
    """The chord track of the analysis, spelled in the song's key (202 with the analysis job until it is there)."""

    @extend_schema(responses={200: inline_serializer("Chords", {
        "key": serializers.CharField(), "mode": serializers.CharField(), "key_name": serializers.CharField(),
        "tempo_bpm": serializers.FloatField(), "beats": serializers.ListField(child=serializers.FloatField()),
        "chords": serializers.ListField(child=serializers.DictField())}), **_NOT_READY})
    def get(self, request, pk):
        from sonicai.music.notes import key_name

        af = owned_audio(request, pk)
        analysis = af.analysis or {}
        if "chords" not in analysis:
            return not_ready(request, af, "chord track")
        return Response({"audio_file_id": str(af.id), "key": analysis["key"], "mode": analysis["mode"],
                         "key_name": key_name(analysis["key"], analysis["mode"], unicode=True),
                         "tempo_bpm": analysis.get("tempo_bpm"), "beats": analysis.get("beats", []),
                         "duration": analysis.get("duration"), "chords": analysis["chords"]})


def _mood_summary(mood) -> dict:
    return {"primary": mood.primary_mood, "confidence": mood.confidence, "uncertain": bool(mood.uncertain),
            "scores": mood.mood_scores, "valence": mood.valence, "arousal": mood.arousal,
            "model_version": mood.model_version}


class JobListView(generics.ListAPIView):
    serializer_class = JobSerializer

    def get_queryset(self):
        qs = ProcessingJob.objects.filter(user=self.request.user).order_by("-created_at")
        for field in ("status", "job_type"):
            if value := self.request.query_params.get(field):
                qs = qs.filter(**{field: value})
        return qs


class JobDetailView(APIView):
    job_types: tuple[str, ...] = ()

    def get_job(self, request, pk) -> ProcessingJob:
        qs = ProcessingJob.objects.all()
        if self.job_types:
            qs = qs.filter(job_type__in=self.job_types)
        return get_owned(qs, request.user, pk)

    @extend_schema(responses=JobSerializer)
    def get(self, request, pk):
        return Response(JobSerializer(self.get_job(request, pk)).data)


class JobCancelView(JobDetailView):
    # 200 with the job as it now is: drf-spectacular documents a DELETE as 204 without a body unless told.
    @extend_schema(responses={200: JobSerializer})
    def delete(self, request, pk):
        job = self.get_job(request, pk)
        with transaction.atomic():
            cancelled = cancel_job(job)
        if not cancelled:
            return Response({"detail": f"The job has already ended ({job.status}).", **JobSerializer(job).data},
                            status=status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job).data)


#: The shortest region a job works on.
MIN_REGION_SECONDS = 1.0


class AudioJobRequest(serializers.Serializer):
    """Common body of job-starting endpoints: a file of the user's and an optional region."""

    audio_file_id = serializers.UUIDField(error_messages={
        "invalid": "Choose one of your files (audio_file_id must be a file id).",
        "required": "Choose one of your files (audio_file_id)."})
    start = NumberField(required=False, allow_null=True, min_value=0, error_messages={
        "min_value": "The region's start must be 0 s or later.",
        "invalid": "The region's start must be a number of seconds."})
    end = NumberField(required=False, allow_null=True, min_value=0, error_messages={
        "min_value": "The region cannot end before the beginning of the song (0 s).",
        "invalid": "The region's end must be a number of seconds."})


def owned_audio_for(request, data: dict) -> AudioFile:
    """The user's file of a job request, once its region fits the song (which only the file knows).
    Raised after the serializer ran, so its field errors are written as lists here, the shape DRF gives all others."""
    af = owned_audio(request, data["audio_file_id"])
    start, end, duration = data.get("start"), data.get("end"), af.duration
    if end is not None and duration and end > duration + 0.05:
        raise serializers.ValidationError(
            {"end": [f"The song lasts {duration:.1f} s: the region's end must be {duration:.1f} s or earlier."]})
    if start is not None and duration and start >= duration:
        raise serializers.ValidationError(
            {"start": [f"The song lasts {duration:.1f} s: the region must start before that."]})
    if start is None and end is None:
        return af  # the whole song, however short (uploads may be 0.1 s)
    begin = start or 0.0
    # A region given by its end alone starts at the beginning of the song, one given by its start alone ends
    # with the song: either way too short a region is refused here, before a job is queued to fail on it.
    stop = end if end is not None else duration or None
    if stop is not None and stop - begin < MIN_REGION_SECONDS:
        # Named after the field to change, so a page can show it there; a sentence that says what to do, and
        # only what can be done.
        if end is None or (duration and begin + MIN_REGION_SECONDS > duration + 0.05):
            raise serializers.ValidationError({"start": [
                f"The region must be at least {MIN_REGION_SECONDS:g} s long and the song lasts {duration:.1f} s: "
                f"start it at {max(0.0, duration - MIN_REGION_SECONDS):.1f} s or earlier."]})
        raise serializers.ValidationError({"end": [
            f"The region must be at least {MIN_REGION_SECONDS:g} s long: set its end to "
            f"{begin + MIN_REGION_SECONDS:g} s or later (it is {end:g} s, the start is {begin:g} s)."]})
    return af


def job_started(job: ProcessingJob) -> Response:
    # The summary is the one the job's row shows on every page, so a page adding the row says it in the same words
    # as after a reload.
    return Response({"job_id": str(job.id), "status": job.status, "job_type": job.job_type,
                     "summary": describe.job_summary(job)}, status=status.HTTP_202_ACCEPTED)


class JobDownloadView(JobDetailView):
    """A time-limited link to a stored result of a completed job (e.g. a stem mix)."""

    @extend_schema(
        parameters=[OpenApiParameter("name", str, description=(
            "Which result: a stem (vocals, drums, bass, other, ...), audio, mix, multitrack or midi. Default: the "
            "job's main result (the song, the mix, the multitrack MIDI, or the first stem in vocals, drums, bass, "
            "other order)."))],
        responses=inline_serializer("JobDownloadLink", {
            "url": serializers.URLField(), "expires_in": serializers.IntegerField(),
            "name": serializers.CharField(required=False, help_text="The result linked to (absent for a remix, "
                                                                     "whose result is a song of the library)"),
            "filename": serializers.CharField(required=False)}))
    def get(self, request, pk):
        job = self.get_job(request, pk)
        keys = job.result_s3_keys if isinstance(job.result_s3_keys, dict) else {}
        made = job.result.get("result_file_id") if isinstance(job.result, dict) else None
        if job.status == ProcessingJob.Status.COMPLETED and not keys and made:
            # A remix's result is a new song in the library: its file is what the job made.
            return download_link(request, owned_audio(request, made))
        if job.status != ProcessingJob.Status.COMPLETED or not keys:
            detail = SONG_DELETED if job.song_deleted else f"The job is {job.status} and has no file to download."
            return Response({"detail": detail}, status=409)
        names = result_names(keys)
        name = request.query_params.get("name") or names[0]
        if name not in keys:
            return Response({"detail": f"No result named {name!r}; results: {', '.join(names)}."}, status=404)
        key = keys[name]
        from django.conf import settings

        filename = result_filename(job, name, key)
        return Response({"url": storage.download_url(request, key, filename), "name": name,
                         "expires_in": settings.DOWNLOAD_URL_EXPIRY, "filename": filename})


def result_filename(job: ProcessingJob, name: str, key: str) -> str:
    """A download name that says whose song and what was done: "My Song - vocals.flac", "My Song - stem mix.wav"."""
    from .describe import download_name, job_details, region_in_file_name, song_title

    ext = key.rsplit(".", 1)[-1] if "." in key else "bin"
    title = song_title(job.audio_file.original_name) if job.audio_file_id else "SonicAI"
    what = name
    made = AudioFile.objects.filter(pk=(job.result or {}).get("result_file_id"), user_id=job.user_id).first() \
        if job.job_type == ProcessingJob.Type.GENERATE else None
    if made is not None:  # a generated track and its MIDI are named as the track is in the library and gallery
        return download_name(song_title(made.original_name), None, ext)
    if job.job_type == ProcessingJob.Type.STEM_MIX:
        gains = (job.input_params or {}).get("gains") or {}
        on = [stem for stem, g in gains.items() if g]
        what = on[0] if len(on) == 1 else "stem mix"
        separation = ProcessingJob.objects.filter(pk=(job.input_params or {}).get("stems_job_id")).first()
        span = region_in_file_name(separation.input_params or {}) if separation else ""
        what = f"{what} ({span})" if span else what  # a region's export is not named as the whole song's
    elif name in ("audio", "result"):
        what = ", ".join(job_details(job.job_type, job.input_params, job.result)) or None
    return download_name(title, what, ext)
