from sonicai.cli import AudioCommand, load_cli_audio


class Command(AudioCommand):
    help = "Analyse an audio file: tempo, beats, key, loudness, features, tags and mood."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print one JSON object (default: a summary)")
        parser.add_argument("--beats", action="store_true", help="include beat times in the JSON")

    def handle(self, *args, **opts):
        from mood.services import understand

        path = self.input_file(opts["file"])
        audio, sr = load_cli_audio(path)
        result = understand(audio, sr)
        if not opts["beats"]:
            result.pop("beats", None)
        if opts["json"]:
            self.print_json(result)
            return
        mood = result["mood"]
        self.stdout.write(
            f"{path.name}: {result['duration']:.1f} s, {result['tempo_bpm']:.1f} BPM, "
            f"{result['key']} {result['mode']}, "
            f"{result['loudness_lufs']:.1f} LUFS, mood {mood['primary']} ({mood['confidence']:.2f}"
            f"{', uncertain' if mood.get('uncertain') else ''}), "
            f"valence {mood['valence']:.2f}, arousal {mood['arousal']:.2f}"
        )
