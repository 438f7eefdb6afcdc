from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.views import APIView

from audio.api import AudioJobRequest, JobDetailView, job_started, owned_audio, owned_audio_for
from audio.jobs import start_job
from audio.models import ProcessingJob
from audio.serializers import JobStartedSerializer

from .actors import classify_mood
from .models import MoodClassification
from .serializers import MoodSerializer


class ClassifyView(APIView):
    @extend_schema(request=AudioJobRequest, responses={202: JobStartedSerializer})
    def post(self, request):
        body = AudioJobRequest(data=request.data)
        body.is_valid(raise_exception=True)
        af = owned_audio_for(request, body.validated_data)
        return job_started(start_job(request.user, ProcessingJob.Type.MOOD_CLASSIFY, classify_mood, audio_file=af))


class MoodJobView(JobDetailView):
    job_types = (ProcessingJob.Type.MOOD_CLASSIFY,)


class AudioMoodView(generics.ListAPIView):
    """Mood results for one file, newest first."""

    serializer_class = MoodSerializer

    def get_queryset(self):
        af = owned_audio(self.request, self.kwargs["pk"])
        return MoodClassification.objects.filter(audio_file=af).order_by("-created_at")


class MoodHistoryView(generics.ListAPIView):
    serializer_class = MoodSerializer

    def get_queryset(self):
        return (MoodClassification.objects.filter(audio_file__user=self.request.user)
                .select_related("audio_file").order_by("-created_at"))
