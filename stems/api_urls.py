from sonicai.api import route

from . import api

ID = r"(?P<pk>[^/]+)"
urlpatterns = [
    route("stems/engines", api.EnginesView.as_view(), "stems-engines"),
    route("stems/separate", api.SeparateView.as_view(), "stems-separate"),
    route(f"stems/jobs/{ID}", api.StemJobView.as_view(), "stems-job"),
    route(f"stems/jobs/{ID}/results", api.StemResultsView.as_view(), "stems-results"),
    route(f"stems/jobs/{ID}/mix", api.StemMixView.as_view(), "stems-mix"),
    route(f"stems/audio/{ID}", api.AudioStemsView.as_view(), "stems-audio"),
]
