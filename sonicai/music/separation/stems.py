"""The stems the separation engines return, named once for the engines, the studio's rows, the API and the tests."""

#: Every stem name in the order the studio lists them: the four every engine returns (the REST contract's
#: list), the two that six-source Demucs adds, and the accompaniment of a two-stem (voice and rest) split.
STEM_NAMES = ("vocals", "drums", "bass", "other", "guitar", "piano", "accompaniment")
FOUR_STEMS = STEM_NAMES[:4]
SIX_STEMS = STEM_NAMES[:6]
