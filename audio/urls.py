from django.urls import path

from . import views

app_name = "audio"
urlpatterns = [
    path("", views.home, name="home"),
    path("library/", views.library, name="library"),
    path("files/<str:pk>/", views.file_page, name="file"),
    path("files/<str:pk>/stream", views.stream, name="stream"),
    path("files/<str:pk>/delete", views.delete_file, name="delete"),
    path("files/<str:pk>/rename", views.rename_file, name="rename"),
    path("jobs/", views.jobs_page, name="jobs"),
    path("d/<str:token>", views.signed_download, name="signed-download"),
]
