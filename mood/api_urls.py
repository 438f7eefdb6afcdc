from sonicai.api import route

from . import api

ID = r"(?P<pk>[^/]+)"
urlpatterns = [
    route("mood/classify", api.ClassifyView.as_view(), "mood-classify"),
    route(f"mood/jobs/{ID}", api.MoodJobView.as_view(), "mood-job"),
    route(f"mood/audio/{ID}", api.AudioMoodView.as_view(), "mood-audio"),
    route("mood/history", api.MoodHistoryView.as_view(), "mood-history"),
]
