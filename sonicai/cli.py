"""Shared behaviour of the operator commands (analyze, separate, generate, remix):
bad input ends with one line on stderr (Django prints ``CommandError: ...``) and exit
status 1, never a traceback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class AudioCommand(BaseCommand):
    requires_migrations_checks = False
    requires_system_checks: list = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _one_line_errors(parser)
        return parser

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except OSError as exc:  # a path that cannot be written or read: the path and why, in one line
            if exc.filename and exc.strerror:
                raise CommandError(f"{exc.filename}: {exc.strerror.lower()}") from exc
            raise CommandError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc

    @staticmethod
    def output_file(path: str, kinds: tuple[str, ...]) -> Path:
        """Where a command will write its audio, checked before minutes of work: a file name with one of these
        extensions in a folder that exists (or can be made)."""
        p = Path(path)
        if p.suffix.lower().lstrip(".") not in kinds:
            raise CommandError(f"{path}: the output must end in {', '.join('.' + k for k in kinds[:-1])} or "
                               f".{kinds[-1]}")
        if p.is_dir():
            raise CommandError(f"{path}: is a folder; name the file to write")
        for parent in p.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise CommandError(f"{path}: {parent} is not a folder")
                break
        return p

    @staticmethod
    def input_file(path: str) -> Path:
        p = Path(path)
        if not p.exists():
            raise CommandError(f"{path}: no such file")
        if not p.is_file():
            raise CommandError(f"{path}: not a file")
        return p

    def print_json(self, data: dict) -> None:
        self.stdout.write(json.dumps(data, indent=None, separators=(",", ":"), default=_json_default))


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Usage mistakes end with ``<prog>: error: <what>`` alone (``--help`` still shows the usage), for the parser
    and its sub-commands' parsers."""
    def error(message: str, _parser=parser):
        if getattr(_parser, "called_from_command_line", False):
            _parser.exit(2, f"{_parser.prog}: error: {message}\n")
        raise CommandError(f"Error: {message}")

    parser.error = error
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _one_line_errors(child)


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_cli_audio(path: Path, **kwargs):
    """Decode an input file, turning decoder errors and files too short to work on into one-line command errors
    (the same limits as an upload's)."""
    from sonicai.music.audio_io import MIN_SECONDS, AudioDecodeError, load_audio

    if Path(path).stat().st_size == 0:
        raise CommandError(f"{path}: the file is empty")
    try:
        audio, sr = load_audio(path, **kwargs)
    except AudioDecodeError as exc:
        raise CommandError(f"{path}: not a readable audio file ({exc})") from None
    if audio.shape[-1] < MIN_SECONDS * sr:
        raise CommandError(f"{path}: holds less than {MIN_SECONDS:g} s of audio")
    return audio, sr
