"""SonicAI: the project package (settings, URLs, ASGI, the studio command) and ``music``,
the framework-free audio code."""

from .process_caches import claim_numba_cache

claim_numba_cache()
