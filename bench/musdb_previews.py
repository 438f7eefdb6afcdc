"""Real multitrack songs for the separation benchmark: MUSDB18's 7-second previews ("MUSDB18-7").

The previews are Native Instruments STEM files (``*.stem.mp4``, AAC), five stereo streams at 44.1 kHz:
mixture, drums, bass, other, vocals. They are not part of the repository (academic, non-commercial
licence); point ``--musdb DIR`` at a folder holding ``train/`` and ``test/`` with them. The mixture
stream is not used: after AAC coding it differs from the sum of the stems by about 4 %, so the mixture
here is the sum of the decoded stems and the stems sum to it exactly, as in the synthetic set.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

STREAMS = ("mixture", "drums", "bass", "other", "vocals")


def decode_stems(path: Path) -> dict[str, np.ndarray]:
    """{stem: float32 (2, samples)} for drums, bass, other and vocals, all trimmed to one length."""
    with av.open(str(path)) as container:
        streams = list(container.streams.audio)
        if len(streams) != len(STREAMS):
            raise ValueError(f"{path} has {len(streams)} audio streams, not {len(STREAMS)}")
        chunks: list[list[np.ndarray]] = [[] for _ in streams]
        for i, stream in enumerate(streams):
            container.seek(0)
            for frame in container.decode(stream):
                if frame.sample_rate != 44100:
                    raise ValueError(f"{path}: {frame.sample_rate} Hz, expected 44100")
                chunks[i].append(frame.to_ndarray().reshape(len(frame.layout.channels), -1))
    decoded = [np.concatenate(c, axis=1).astype(np.float32) for c in chunks]
    n = min(d.shape[1] for d in decoded)
    return {name: decoded[i][:, :n] for i, name in enumerate(STREAMS) if name != "mixture"}


def load_split(root: Path, split: str, limit: int | None = None) -> list[tuple[str, dict[str, np.ndarray]]]:
    """(track name, stems) for every preview of ``root/split``, sorted by name."""
    files = sorted(Path(root, split).glob("*.stem.mp4"))
    if not files:
        raise FileNotFoundError(f"no *.stem.mp4 files in {Path(root, split)}")
    return [(f.name.removesuffix(".stem.mp4"), decode_stems(f)) for f in files[:limit]]
