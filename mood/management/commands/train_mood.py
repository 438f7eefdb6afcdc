import time

from django.conf import settings

from sonicai.cli import AudioCommand


class Command(AudioCommand):
    help = ("Train a mood classifier on labelled audio: folder-per-mood (DIR/<mood>/*.wav ...; the 4Q set's "
            "Q1..Q4 folders too), a CSV of labels (file,label or file,valence,arousal; or DIR/labels.csv), or an "
            "Emotify copy (DIR/data.csv + DIR/emotifymusic). Prints cross-validated accuracy and saves a new "
            "model version that the studio uses from then on.")

    def add_arguments(self, parser):
        parser.add_argument("dir", help="one sub-folder per mood (happy, sad, calm, nostalgic, tender, ...), "
                                        "a labels CSV, or a folder with labels.csv or Emotify's data.csv")
        parser.add_argument("--model-version", dest="model_version",
                            help="model version name (default: mood-head-<UTC time>)")
        parser.add_argument("--out", help="models folder (default: MODELS_DIR/mood, which the studio reads)")

    def handle(self, *args, **opts):
        from pathlib import Path

        from mood.services import mood_training_set
        from sonicai.music.tagging.mood.head import STUDIO_GROUP_WEIGHTS, train_mood_head

        version = opts["model_version"] or time.strftime("mood-head-%Y%m%d-%H%M%S", time.gmtime())
        out = Path(opts["out"]) if opts["out"] else settings.MODELS_DIR / "mood"

        X, labels, skipped = mood_training_set(opts["dir"], progress=lambda fraction, stage: self.stderr.write(stage))
        for line in skipped:
            self.stderr.write(f"skipped {line}")
        report = train_mood_head(X, labels, version, out, group_weights=STUDIO_GROUP_WEIGHTS)
        classes = ", ".join(f"{c}={labels.count(c)}" for c in report.classes)
        self.stdout.write(f"trained {report.version} on {report.n} files ({classes}); "
                          f"{report.folds}-fold cross-validated accuracy {report.cv_accuracy:.3f}; "
                          f"saved {report.path}")
