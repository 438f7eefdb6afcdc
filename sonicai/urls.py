from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from .health import health
from .throttling import throttled_posts

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("audio.api_urls")),
    path("", include("stems.api_urls")),
    path("", include("mood.api_urls")),
    path("", include("remix.api_urls")),
    path("", include("generation.api_urls")),
    path("", include("practice.api_urls")),
]

# Clients of the REST API get JSON errors everywhere under /api/, not only from its views.
handler404 = "sonicai.exceptions.not_found"
handler500 = "sonicai.exceptions.server_error"

urlpatterns = [
    path("health", health, name="health"),
    # Browsers ask for /favicon.ico on pages that name no icon (the API docs, JSON answers).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg", permanent=True)),
    # The admin's sign-in form under the same rate limit as the studio's (lockouts apply through the backend).
    path("admin/login/", throttled_posts("auth")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("accounts/", include("accounts.urls")),
    path("stems/", include("stems.urls")),
    path("mood/", include("mood.urls")),
    path("remix/", include("remix.urls")),
    path("generate/", include("generation.urls")),
    path("practice/", include("practice.urls")),
    path("", include("audio.urls")),
]
