from django.urls import path

from . import views

app_name = "remix"
urlpatterns = [
    path("<str:pk>/", views.studio, name="studio"),
]
