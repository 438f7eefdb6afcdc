import json

from django.core.management.base import CommandError

from sonicai.cli import AudioCommand, load_cli_audio


class Command(AudioCommand):
    help = "Remix an audio file: genre transformation, tempo, pitch and effects (applied in that order)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--out", required=True, help="output file (.wav, .flac, .mp3, .ogg)")
        from sonicai.music.remix.genres import ARRANGER, GENRE_ENGINES, GENRES

        parser.add_argument("--genre", default=None, help=f"one of {', '.join(GENRES)}")
        parser.add_argument("--genre-engine", default=ARRANGER, choices=GENRE_ENGINES,
                            help="musicgen-melody re-performs the melody with MusicGen (weights in MODELS_DIR)")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--tempo-change", type=float, default=None, help="percent, -50 to +100")
        group.add_argument("--target-bpm", type=float, default=None)
        parser.add_argument("--pitch", type=float, default=0.0, help="semitones, -12 to +12")
        parser.add_argument("--preserve-formants", action="store_true")
        parser.add_argument("--effects", default=None, help="JSON list of effects, or a preset name")
        parser.add_argument("--start", type=float, default=None)
        parser.add_argument("--end", type=float, default=None)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):
        from sonicai.music.audio_io import write_audio
        from sonicai.music.remix.pipeline import RemixParams, run_remix

        path = self.input_file(opts["file"])
        out = self.output_file(opts["out"], ("wav", "flac", "mp3", "ogg"))
        effects = opts["effects"]
        if effects and effects.lstrip()[:1] in "[{":
            try:
                effects = json.loads(effects)
            except json.JSONDecodeError as exc:
                raise CommandError(f"--effects is not valid JSON ({exc.msg} at character {exc.pos})") from None
        # anything else is a preset name, which validate() checks against the list
        if not (opts["genre"] or opts["tempo_change"] is not None or opts["target_bpm"] is not None or opts["pitch"]
                or effects):
            # it wrote a copy of the song (the API refuses a render that changes nothing, too)
            raise CommandError("nothing to do: give --genre, --tempo-change or --target-bpm, --pitch, or --effects")
        if opts["seed"] < 0:
            raise CommandError(f"--seed must be 0 or more, got {opts['seed']}")  # as generate and the API say
        params = RemixParams(genre=opts["genre"], tempo_change=opts["tempo_change"], target_bpm=opts["target_bpm"],
                             pitch=opts["pitch"], preserve_formants=opts["preserve_formants"], effects=effects,
                             start=opts["start"], end=opts["end"], seed=opts["seed"],
                             genre_engine=opts["genre_engine"])
        params.validate()
        audio, sr = load_cli_audio(path)
        from django.conf import settings

        result = run_remix(audio, sr, params, models_dir=settings.MODELS_DIR)
        write_audio(out, result.audio, result.sr)
        self.print_json({"out": str(out), "sample_rate": result.sr, **result.summary})
