"""Rebuild the audio of a labels CSV (bench/data/*.csv) from the git repositories its ``source`` column names.

    git clone https://github.com/zeyfx/zeyfx.github.io /tmp/repos/zeyfx+zeyfx.github.io   # one per repository
    python -m bench.real_audio bench/data/modern_clips.csv --repos /tmp/repos --out /work/data/key/modern

The audio is not in this repository (its owners' licences; docs/analysis.md lists them). Each row's ``source``
starts ``owner/name[@commit]:path``; the file is read with ``git show commit:path`` (or ``HEAD:path`` when the
row names no commit or the commit is missing) from ``REPOS/owner+name`` (a clone, or its ``repo``/``.git``
inside it), so the exact committed bytes come back. Rows whose repository or file is missing are listed.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
from pathlib import Path

SOURCE = re.compile(r"(?P<owner>[^/\s]+)/(?P<name>[^@:\s]+)(?:@(?P<commit>[0-9a-f]{7,40}))?:(?P<path>.+)")


def git_dir(repos: Path, owner: str, name: str) -> Path | None:
    """The git directory of a clone of ``owner/name`` under ``repos``, if there is one."""
    base = repos / f"{owner}+{name}"
    for cand in (base / ".git", base / "repo" / ".git", base / "repo", base):
        if (cand / "HEAD").is_file():
            return cand
    return None


def extract(row: dict, repos: Path, out: Path) -> str | None:
    """Write one row's file into ``out``; returns why it could not, or None."""
    match = SOURCE.match(row["source"].split(" ; ")[0].strip())
    if not match:
        return "source is not owner/name@commit:path"
    gd = git_dir(repos, match["owner"], match["name"])
    if gd is None:
        return f"no clone of {match['owner']}/{match['name']} under {repos}"
    for rev in [r for r in (match["commit"], "HEAD") if r]:
        shown = subprocess.run(["git", f"--git-dir={gd}", "show", f"{rev}:{match['path']}"],
                               capture_output=True, check=False)
        if shown.returncode == 0:
            (out / row["file"]).write_bytes(shown.stdout)
            return None
    return f"{match['path']} not in {match['owner']}/{match['name']}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("labels", type=Path)
    ap.add_argument("--repos", type=Path, required=True, help="folder of clones named owner+name")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.labels, newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = [(row["file"], why) for row in rows if (why := extract(row, args.repos, args.out))]
    print(f"{len(rows) - len(missing)} of {len(rows)} files written to {args.out}")
    for file, why in missing:
        print(f"  missing {file}: {why}")


if __name__ == "__main__":
    main()
