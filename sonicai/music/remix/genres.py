"""The remix genres and the engines that make a genre remix: named once for the pipelines, the API, the pages and
the command line."""

#: Genres a remix can turn a song into (each is a composer style; the REST contract names these six).
GENRES = ["edm", "jazz", "hiphop", "rock", "classical", "lofi"]

ARRANGER = "arranger"
MUSICGEN_MELODY = "musicgen-melody"
#: Genre engines, the default first: the arranger keeps the song's vocals over a composed arrangement;
#: MusicGen-melody re-performs the tune (needs its weights installed).
GENRE_ENGINES = (ARRANGER, MUSICGEN_MELODY)
ENGINE_DESCRIPTIONS = {ARRANGER: "keeps the song's vocals", MUSICGEN_MELODY: "re-performs the melody"}
