from django.urls import path

from . import views

app_name = "stems"
urlpatterns = [
    path("<str:pk>/", views.stems_page, name="mixer"),
    path("s/<str:stem_id>/stream", views.stem_stream, name="stream"),
]
