"""``manage.py models list [--json] | install NAME... | verify [NAME] | remove NAME``: the optional weights in
SONICAI_MODELS_DIR (see sonicai/music/models)."""

from __future__ import annotations

import getpass
import json
import sys

from django.conf import settings
from django.core.management.base import CommandError

from sonicai.cli import AudioCommand


class Command(AudioCommand):
    help = ("Manage optional model weights in SONICAI_MODELS_DIR: list them (with licence and state), install "
            "(download, verify, move into place), verify their hashes, remove them.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{list,install,verify,remove}")
        sub.required = True
        listing = sub.add_parser("list", help="every model: task, size, licence, installed or not")
        listing.add_argument("--json", action="store_true", help="one JSON array of objects")
        install = sub.add_parser("install", help="download, verify and install models")
        install.add_argument("names", nargs="+", metavar="NAME")
        install.add_argument("--accept-licence", action="store_true",
                             help="accept a licence that is not free for every use (recorded with the install)")
        install.add_argument("--allow-unpinned", action="store_true",
                             help="install a model whose hashes SonicAI does not pin (checked against the Hub's)")
        install.add_argument("--force", action="store_true", help="download again even if installed")
        verify = sub.add_parser("verify", help="hash installed files against their recorded SHA-256")
        verify.add_argument("name", nargs="?", metavar="NAME", help="default: every installed model")
        remove = sub.add_parser("remove", help="delete an installed model")
        remove.add_argument("name", metavar="NAME")

    def handle(self, *args, **opts):
        return getattr(self, f"_{opts['action']}")(opts)

    # -- list ------------------------------------------------------------------------------------------------------

    def _list(self, opts):
        from sonicai.music.models import store

        rows = store.list_models(settings.MODELS_DIR)
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        width = max(len(r["name"]) for r in rows)
        self.stdout.write(f"{'model':<{width}}  {'task':<11} {'size':<9} {'state':<13} licence")
        for r in rows:
            licence = r["licence"] + ("" if r["free_for_any_use"] else " (not free for every use)")
            self.stdout.write(f"{r['name']:<{width}}  {r['task']:<11} {r['size']:<9} {r['state']:<13} {licence}")
        self.stdout.write(f"\nSONICAI_MODELS_DIR={settings.MODELS_DIR}; install with "
                          "`python manage.py models install NAME` (see `models list --json` for sources and hashes)")

    # -- install ---------------------------------------------------------------------------------------------------

    def _install(self, opts):
        from sonicai.music.models import catalogue, store
        from sonicai.music.models.download import DownloadError

        entries = []
        for name in dict.fromkeys(opts["names"]):
            try:
                entry = catalogue.get(name)
                store.check_allowed(entry, opts["accept_licence"], opts["allow_unpinned"])
            except (catalogue.UnknownModel, store.InstallRefused) as exc:
                raise CommandError(str(exc)) from None
            entries.append(entry)
        for entry in entries:
            bar = _Bar(getattr(self.stderr, "_out", sys.stderr))
            try:
                manifest = store.install(
                    entry.name, settings.MODELS_DIR, settings.MODELS_STAGING_DIR,
                    accept_licence=opts["accept_licence"], allow_unpinned=opts["allow_unpinned"], force=opts["force"],
                    mirror=settings.MODELS_MIRROR or None, hf_token=settings.HF_TOKEN or None,
                    accepted_by=f"{getpass.getuser()} (manage.py models install)", file_progress=bar.update)
            except (store.InstallRefused, DownloadError) as exc:
                raise CommandError(str(exc).splitlines()[0]) from None
            except KeyboardInterrupt:
                raise CommandError(f"{entry.name}: interrupted; run the same command to resume the download") from None
            finally:
                bar.close()
            st = store.status(entry, settings.MODELS_DIR)
            if manifest.get("bundled") is not None and "files" not in manifest:
                self.stdout.write(f"{entry.name}: already bundled with SonicAI ({manifest['bundled']}); --force "
                                  "downloads it into SONICAI_MODELS_DIR too")
            elif entry.kind == "bundled":
                self.stdout.write(f"{entry.name}: bundled with SonicAI; licence {entry.licence.name} accepted and "
                                  "recorded")
            else:
                self.stdout.write(f"{entry.name}: {st.detail}")

    # -- verify ----------------------------------------------------------------------------------------------------

    def _verify(self, opts):
        from sonicai.music.models import catalogue, store

        if opts["name"]:
            try:
                names = [catalogue.get(opts["name"]).name]
            except catalogue.UnknownModel as exc:
                raise CommandError(str(exc)) from None
        else:
            names = [r["name"] for r in store.list_models(settings.MODELS_DIR) if r["installed"]]
        if opts["name"]:
            ok, line = store.verify(names[0], settings.MODELS_DIR)
            if not ok:
                raise CommandError(line)
            self.stdout.write(line)
            return
        if not names:
            self.stdout.write("no model installed in SONICAI_MODELS_DIR and no bundled weights found")
        failed = []
        for name in names:
            ok, line = store.verify(name, settings.MODELS_DIR)
            (self.stdout if ok else self.stderr).write(line)
            if not ok:
                failed.append(name)
        if failed:
            raise CommandError(f"{len(failed)} model(s) failed verification: {', '.join(failed)}")

    # -- remove ----------------------------------------------------------------------------------------------------

    def _remove(self, opts):
        from sonicai.music.models import catalogue, store

        try:
            removed = store.remove(opts["name"], settings.MODELS_DIR)
        except (catalogue.UnknownModel, store.InstallRefused) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{opts['name']}: removed {len(removed)} file(s)")


class _Bar:
    """A tqdm progress bar per downloaded file, on stderr (stdout stays for results)."""

    def __init__(self, stream):
        self.stream = stream
        self.bar = None
        self.name = None

    def update(self, name: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        if name != self.name:
            self.close()
            self.name = name
            tty = hasattr(self.stream, "isatty") and self.stream.isatty()
            # on a terminal one bar redrawn in place; in a log a line every 15 s at most
            self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name, leave=True,
                            file=self.stream, dynamic_ncols=True, mininterval=0.1 if tty else 15.0)
        if self.bar is not None:
            if total and self.bar.total != total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
