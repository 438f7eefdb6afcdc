"""The offline ``composer`` engine: prompt -> arrangement -> SoundFont render -> mastered audio."""
