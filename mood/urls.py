from django.urls import path

from . import views

app_name = "mood"
urlpatterns = [
    path("", views.library_moods, name="library"),
    path("<str:pk>/", views.dashboard, name="dashboard"),
]
