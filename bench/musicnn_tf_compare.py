"""Compare the PyTorch musicnn port (sonicai.music.tagging) against the original TensorFlow musicnn.

TensorFlow is not a project dependency, so this runs in two environments:

1. In a throw-away TF env (outside the repo) that can import the original ``musicnn`` package:

       python3.11 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu tf_keras librosa==0.11.0
       TF_USE_LEGACY_KERAS=1 PYTHONPATH=<dir containing a copy of site-packages/musicnn> \\
           /tmp/tfenv/bin/python -m bench.musicnn_tf_compare tf OUT.npz a.wav b.wav ...

   This builds the original graph (musicnn.models.define_model), restores MSD_musicnn strictly (the original
   extractor silently keeps random weights if restoring fails) and, per file, stores TF outputs for
   (a) the original preprocessing at the file's level, (b) the original preprocessing on a quieter copy
   (original's float16 log overflows on loud audio and then yields NaN tags), (c) the port's patches.

2. In the project venv:

       .venv/bin/python -m bench.musicnn_tf_compare compare OUT.npz a.wav b.wav ...

   which runs the port end to end on the same audio and on the very same patches, and prints max abs diffs.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _port_logmel_module():
    # Load mood/tagger/logmel.py by path: importing the package would pull in torch, absent from the TF env.
    spec = importlib.util.spec_from_file_location("port_logmel", REPO / "sonicai" / "music" / "tagging" / "logmel.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_tf(out: Path, files: list[str]) -> None:
    import librosa
    import soundfile as sf
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import models
    from musicnn.extractor import batch_data

    port = _port_logmel_module()
    tf.compat.v1.disable_eager_execution()
    weights = Path(models.__file__).parent / "MSD_musicnn"
    res: dict[str, np.ndarray] = {}
    with tf.compat.v1.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 187, config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y, _, _, _, _, _, mean_pool, max_pool, penultimate = models.define_model(x, is_training, "MSD_musicnn", 50)
        probs = tf.nn.sigmoid(y)
        sess = tf.compat.v1.Session()
        tf.compat.v1.train.Saver().restore(sess, f"{weights}/")

        def run(batch: np.ndarray, key: str) -> None:
            batch = batch.astype(np.float32)
            fetch = sess.run([probs, penultimate, mean_pool, max_pool], {x: batch, is_training: False})
            for name, val in zip(("probs", "penultimate", "mean_pool", "max_pool"), fetch, strict=True):
                res[f"{key}/{name}"] = val
            res[f"{key}/batch"] = batch

        for i, f in enumerate(files):
            run(batch_data(f, 187, 187)[0], f"{i}/orig")
            y16, _ = librosa.load(f, sr=16000)
            mel = librosa.feature.melspectrogram(y=y16, sr=16000, hop_length=256, n_fft=512, n_mels=96)
            gain = float(min(1.0, np.sqrt(5.0 / mel.max())))  # keeps 10000 * mel below float16's max
            res[f"{i}/gain"] = np.array(gain)
            with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
                sf.write(tmp.name, y16 * gain, 16000, subtype="FLOAT")
                run(batch_data(tmp.name, 187, 187)[0], f"{i}/quiet")
            run(port.make_patches(port.musicnn_logmel(y16)), f"{i}/portin")
        # Inputs off the data manifold too: random log-mel values in the range real audio produces.
        run(np.random.default_rng(0).uniform(0, 5, size=(8, 187, config.N_MELS)), "noise")
    np.savez(out, **res)
    print(f"wrote {out}")


def compare(npz: Path, files: list[str]) -> None:
    import librosa
    import torch

    from sonicai.music.tagging.musicnn import MusicnnTagger

    torch.set_num_threads(1)
    ref = np.load(npz)
    tagger = MusicnnTagger.load()
    worst: dict[str, float] = {}

    def diff(name: str, a: np.ndarray, b: np.ndarray) -> str:
        d = float(np.max(np.abs(a - b)))
        worst[name] = max(worst.get(name, 0.0), d)
        return f"{name}={d:.1e}"

    def same_input(key: str) -> list[str]:
        p, e = tagger.predict_patches(ref[f"{key}/batch"])
        with torch.inference_mode():
            pools = tagger.net(torch.from_numpy(ref[f"{key}/batch"]))
        return [diff(f"{key.split('/')[-1]}:probs", p, ref[f"{key}/probs"]),
                diff(f"{key.split('/')[-1]}:penult", e, ref[f"{key}/penultimate"]),
                diff(f"{key.split('/')[-1]}:maxpool", pools["max_pool"].numpy(), ref[f"{key}/max_pool"])]  # fmt: skip

    for i, f in enumerate(files):
        y, sr = librosa.load(f, sr=None, mono=True)  # the port resamples itself, as the original does
        gain = float(ref[f"{i}/gain"])
        loud = tagger.tag(y, sr)
        quiet = tagger.tag(y * gain, sr)
        orig_nan = int(np.isnan(ref[f"{i}/orig/probs"]).any(axis=1).sum())
        parts = [
            f"patches={len(loud.patch_probs)} gain={gain:.3f} original-NaN-patches={orig_nan}",
            diff("e2e_quiet_probs", quiet.patch_probs, ref[f"{i}/quiet/probs"]),
            diff("e2e_loud_vs_tf_on_port_patches", loud.patch_probs, ref[f"{i}/portin/probs"]),
            *same_input(f"{i}/quiet"),
            *same_input(f"{i}/portin"),
        ]
        if orig_nan == 0:
            parts.append(diff("e2e_orig_level_probs", loud.patch_probs, ref[f"{i}/orig/probs"]))
        print(f"{Path(f).name}: " + " ".join(parts))
        top = sorted(loud.tags.items(), key=lambda kv: -kv[1])[:4]
        print(f"    port top tags: {[(k, round(v, 3)) for k, v in top]}")
    print("noise patches: " + " ".join(same_input("noise")))
    print("WORST: " + " ".join(f"{k}={v:.1e}" for k, v in worst.items()))


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] not in ("tf", "compare"):
        sys.exit(__doc__)
    (run_tf if sys.argv[1] == "tf" else compare)(Path(sys.argv[2]), sys.argv[3:])
