
from django.core.management.base import CommandError

from sonicai.cli import AudioCommand, load_cli_audio


class Command(AudioCommand):
    help = ("Transcribe an audio file to MIDI with the song's tempo: the whole file as one track, the file as "
            "one stem (--stem), or its stems after separating it (--separate, all stems or only --stem).")

    def add_arguments(self, parser):
        from sonicai.music.separation.stems import STEM_NAMES

        parser.add_argument("file")
        parser.add_argument("--out", required=True, help="output .mid file")
        parser.add_argument("--stem", default=None, choices=STEM_NAMES,
                            help="the instrument FILE is (or, with --separate, the one stem to keep): "
                                 "sets the pitch range; drums become a General MIDI drum track")
        parser.add_argument("--separate", action="store_true",
                            help="split FILE into stems first and write one track per stem")
        parser.add_argument("--engine", default=None, help="separation engine for --separate")
        parser.add_argument("--tempo", type=float, default=None, help="BPM written into the file (default: detected)")

    def handle(self, *args, **opts):
        from django.conf import settings

        from sonicai.music.analysis.tempo import estimate_tempo
        from sonicai.music.transcription.midi import TEMPO_RANGE, grid_tempo, multitrack_midi, stem_midi, write_midi
        from sonicai.music.transcription.transcribe import transcribe, transcribe_stems

        path = self.input_file(opts["file"])
        out = self.output_file(opts["out"], ("mid", "midi"))
        low, high = TEMPO_RANGE
        if opts["tempo"] is not None and not low <= opts["tempo"] <= high:
            raise CommandError(f"--tempo must be between {low:g} and {high:g} BPM")
        audio, sr = load_cli_audio(path)
        tempo = opts["tempo"] or grid_tempo(float(estimate_tempo(audio.mean(axis=0), sr).bpm))
        stem = opts["stem"]
        if opts["separate"]:
            from sonicai.music.separation.base import EngineUnavailable
            from sonicai.music.separation.registry import DEFAULT_ENGINE, get_engine

            try:
                engine = get_engine(opts["engine"] or DEFAULT_ENGINE, models_dir=settings.MODELS_DIR,
                                    device=settings.TORCH_DEVICE)
            except (KeyError, EngineUnavailable) as exc:
                raise CommandError(f"separation engine: {str(exc).strip(chr(39))}") from None
            ok, message = engine.available()
            if not ok:
                raise CommandError(message)
            stems = engine.separate(audio, sr)
            if stem is not None:
                if stem not in stems:
                    raise CommandError(f"the {engine.name} engine gives no {stem} stem ({', '.join(stems)})")
                stems = {stem: stems[stem]}
            tracks = transcribe_stems(stems, sr)
        else:
            tracks = {stem or "mix": transcribe(audio, sr, stem or "other")}
        pm = multitrack_midi(tracks, tempo=tempo) if len(tracks) > 1 else stem_midi(*next(iter(tracks.items())),
                                                                                      tempo=tempo)
        write_midi(pm, out)
        self.print_json({"out": str(out), "tempo_bpm": round(tempo, 2),
                         "tracks": {name: len(events) for name, events in tracks.items()}})
