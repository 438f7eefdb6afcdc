from sonicai.api import route

from . import api

ID = r"(?P<pk>[^/]+)"
urlpatterns = [
    route("audio/upload", api.UploadView.as_view(), "audio-upload"),
    route("audio", api.AudioListView.as_view(), "audio-list"),
    route(f"audio/{ID}", api.AudioDetailView.as_view(), "audio-detail"),
    route(f"audio/{ID}/download", api.DownloadView.as_view(), "audio-download"),
    route(f"audio/{ID}/waveform", api.WaveformView.as_view(), "audio-waveform"),
    route(f"audio/{ID}/spectrogram", api.SpectrogramView.as_view(), "audio-spectrogram"),
    route(f"audio/{ID}/features", api.FeaturesView.as_view(), "audio-features"),
    route(f"audio/{ID}/chords", api.ChordsView.as_view(), "audio-chords"),
    route("jobs", api.JobListView.as_view(), "job-list"),
    route(f"jobs/{ID}", api.JobCancelView.as_view(), "job-detail"),
    route(f"jobs/{ID}/download", api.JobDownloadView.as_view(), "job-download"),
]
