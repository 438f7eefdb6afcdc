from django.urls import re_path

from audio.consumers import JobProgressConsumer

websocket_urlpatterns = [
    re_path(r"^ws/jobs/(?P<job_id>[^/]+)/?$", JobProgressConsumer.as_asgi()),
]
