"""Optional model weights: the one catalogue of every model SonicAI can use, and the code that downloads,
verifies, installs and removes them in ``SONICAI_MODELS_DIR`` (framework-free; the ``modelstore`` app and the
``models`` command are thin shells over it)."""
