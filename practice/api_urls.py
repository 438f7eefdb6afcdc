from sonicai.api import route

from . import api

ID = r"(?P<pk>[^/]+)"
urlpatterns = [
    route("practice/transcribe", api.TranscribeView.as_view(), "practice-transcribe"),
    route(f"practice/transcriptions/{ID}", api.TranscriptionView.as_view(), "practice-transcription"),
    route(f"practice/transcriptions/{ID}/notes", api.TranscriptionNotesView.as_view(), "practice-notes"),
    route(f"practice/{ID}/leadsheet", api.LeadSheetView.as_view(), "practice-leadsheet"),
]
