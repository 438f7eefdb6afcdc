from django.urls import path

from . import views

app_name = "practice"
urlpatterns = [
    path("<str:pk>/", views.player, name="player"),
    path("<str:pk>/transcription/", views.transcription, name="transcription"),
    path("<str:pk>/sheet/", views.sheet, name="sheet"),
    path("<str:pk>/sheet.<str:fmt>", views.sheet_download, name="sheet-download"),
    path("<str:pk>/stems/<str:name>", views.stem_audio, name="stem-audio"),
]
