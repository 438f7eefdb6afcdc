from sonicai.api import route

from . import api

ID = r"(?P<pk>[^/]+)"
urlpatterns = [
    route("remix/genre", api.GenreView.as_view(), "remix-genre"),
    route("remix/tempo", api.TempoView.as_view(), "remix-tempo"),
    route("remix/pitch", api.PitchView.as_view(), "remix-pitch"),
    route("remix/effects", api.EffectsView.as_view(), "remix-effects"),
    route("remix/options", api.RemixOptionsView.as_view(), "remix-options"),
    route(f"remix/jobs/{ID}", api.RemixJobView.as_view(), "remix-job"),
    route("remix/history", api.RemixHistoryView.as_view(), "remix-history"),
]
