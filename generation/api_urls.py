from sonicai.api import route

from . import api

ID = r"(?P<pk>[^/]+)"
urlpatterns = [
    route("generate/text-to-music", api.TextToMusicView.as_view(), "generate-text"),
    route(f"generate/jobs/{ID}", api.GenerateJobView.as_view(), "generate-job"),
    route(f"generate/jobs/{ID}/download", api.GenerateDownloadView.as_view(), "generate-download"),
    route("generate/history", api.HistoryView.as_view(), "generate-history"),
    route("generate/models", api.ModelsView.as_view(), "generate-models"),
]
