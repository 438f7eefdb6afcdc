import os
from pathlib import Path

from django.core.management.base import CommandError

from sonicai.cli import AudioCommand, load_cli_audio


class Command(AudioCommand):
    help = "Split an audio file into stems: writes DIR/<stem>.wav at the input's sample rate and length."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--out", required=True, help="output folder")
        parser.add_argument("--engine", default=None,
                            help="spleeter, spleeter-4stems, spleeter-5stems, htdemucs, htdemucs_ft, htdemucs_6s, hpss "
                                 "(default: the best installed)")
        parser.add_argument("--format", default="wavf", choices=["wavf", "wav", "wav24"],
                            help="wavf: 32-bit float (stems sum to the mix exactly); wav: 16-bit; wav24")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def handle(self, *args, **opts):
        from audio.jobs import JobError
        from sonicai.music.audio_io import write_audio
        from stems.services import engine

        path = self.input_file(opts["file"])
        out = Path(opts["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out}: exists and is not a folder")
        if any(parent.exists() and not parent.is_dir() for parent in out.parents):
            raise CommandError(f"{out}: cannot be made, a part of its path is a file")
        try:
            eng = engine(opts["engine"])
        except JobError as exc:
            raise CommandError(str(exc)) from None
        audio, sr = load_cli_audio(path)
        out.mkdir(parents=True, exist_ok=True)  # made (or refused: /proc/x) before minutes of separation
        if not os.access(out, os.W_OK):
            raise CommandError(f"{out}: this user cannot write there")
        stems = eng.separate(audio, sr)
        written = {}
        for name, stem in stems.items():
            written[name] = str(write_audio(out / f"{name}.wav", stem, sr, fmt=opts["format"]))
        summary = {"engine": eng.name, "sample_rate": sr, "duration": audio.shape[1] / sr, "stems": written}
        if opts["json"]:
            self.print_json(summary)
        else:
            self.stdout.write(f"{eng.name}: wrote {', '.join(written)} to {out}")
