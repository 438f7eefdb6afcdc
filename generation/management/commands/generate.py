from pathlib import Path

from django.core.management.base import CommandError

from sonicai.cli import AudioCommand


class Command(AudioCommand):
    help = "Generate music from a text prompt; writes the audio (and the MIDI with --midi) and prints a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("prompt")
        parser.add_argument("--duration", type=float, default=30.0, help="seconds, 5 to 300")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", required=True, help="output audio file (.wav, .flac, .mp3, .ogg)")
        parser.add_argument("--engine", default=None,
                            help="composer, musicgen-small, ... (default: the best installed model)")
        parser.add_argument("--midi", default=None, help="also write the MIDI here (composer)")
        parser.add_argument("--guidance-scale", type=float, default=3.0)

    def handle(self, *args, **opts):
        from audio.jobs import JobError
        from generation.services import generate
        from sonicai.music.audio_io import write_audio

        out = self.output_file(opts["out"], ("wav", "flac", "mp3", "ogg"))
        if opts["seed"] < 0:
            raise CommandError("--seed must be 0 or more")
        from generation.services import default_model

        engine = opts["engine"] or default_model()
        try:
            result = generate(opts["prompt"], opts["duration"], opts["seed"], engine,
                              guidance_scale=opts["guidance_scale"])
        except JobError as exc:
            raise CommandError(str(exc)) from None
        write_audio(out, result.audio, result.sr)
        summary = {"out": str(out), "engine": engine, "sample_rate": result.sr,
                   "duration": result.audio.shape[1] / result.sr, "seed": opts["seed"], **result.summary}
        if opts["midi"] and result.midi_bytes:
            Path(opts["midi"]).write_bytes(result.midi_bytes)
            summary["midi"] = opts["midi"]
        self.print_json(summary)
