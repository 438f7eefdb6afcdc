from django.apps import AppConfig
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_proxy_count(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Behind a TLS proxy with TRUSTED_PROXY_COUNT=0 every client has the proxy's address: one stranger's
    failed sign-ins would then refuse everyone's (the lockout counts per address)."""
    if settings.SONICAI_HTTPS and not settings.TRUSTED_PROXY_COUNT:
        return [checks.Warning(
            "SONICAI_HTTPS is on but TRUSTED_PROXY_COUNT is 0: every visitor counts as the proxy's address, so "
            "failed sign-ins from one would lock out all.", hint="Set TRUSTED_PROXY_COUNT=1 behind one proxy "
            "that appends the client's address to X-Forwarded-For.", id="sonicai.W001")]
    return []


class SonicaiConfig(AppConfig):
    name = "sonicai"
    verbose_name = "SonicAI platform"
