"""Reading and writing audio as numpy arrays.

Every engine in SonicAI works on float32 arrays shaped ``(channels, samples)``.
This module is the one place that turns files into such arrays and back.

libsndfile (through soundfile) handles WAV, FLAC, OGG/Vorbis, Opus and MP3;
PyAV (bundled FFmpeg) handles everything else we accept, such as M4A/AAC.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from sonicai.music.errors import MusicInputError

#: Formats we write, mapped to (soundfile format, subtype) or "av" for PyAV.
_WRITE_FORMATS = {
    "wav": ("WAV", "PCM_16"),
    "wav24": ("WAV", "PCM_24"),
    "wavf": ("WAV", "FLOAT"),
    "flac": ("FLAC", "PCM_16"),
    "flac24": ("FLAC", "PCM_24"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", None),
}


#: Shorter than this is not music to work on: an upload and the command line refuse it alike.
MIN_SECONDS = 0.1


class AudioDecodeError(MusicInputError):
    """The file is not audio we can decode."""

    def sentence(self) -> str:
        said = super().sentence()
        return f"The audio could not be read: {said[0].lower()}{said[1:]}"


@dataclass(frozen=True)
class AudioInfo:
    format: str
    duration: float
    sample_rate: int
    channels: int
    bit_depth: int | None
    codec: str


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad the last axis to exactly ``length`` samples."""
    n = audio.shape[-1]
    if n == length:
        return audio
    if n > length:
        return np.ascontiguousarray(audio[..., :length])
    pad = [(0, 0)] * (audio.ndim - 1) + [(0, length - n)]
    return np.pad(audio, pad)


def as_channels(audio: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return ``audio`` as a contiguous float32 (channels, samples) array and whether it was mono 1-D."""
    arr = np.asarray(audio, dtype=np.float32)
    if arr.ndim == 1:
        return np.ascontiguousarray(arr[None, :]), True
    if arr.ndim != 2:
        raise ValueError(f"audio must be 1-D or (channels, samples), got shape {arr.shape}")
    if arr.shape[0] > arr.shape[1]:
        raise ValueError(f"audio must be (channels, samples), got shape {arr.shape}; transpose it")
    return np.ascontiguousarray(arr), False


def restore(audio: np.ndarray, was_mono: bool) -> np.ndarray:
    return audio[0] if was_mono else audio


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """``audio`` (channels, samples) or 1-D at ``sr_out`` (soxr, high quality); unchanged when the rates agree."""
    if sr_in == sr_out:
        return audio
    import soxr

    return np.ascontiguousarray(soxr.resample(audio.T, sr_in, sr_out, quality="HQ").T, dtype=np.float32)


def _av_blocks(path: str) -> Iterator[tuple[np.ndarray, int]]:
    """FFmpeg's decode of the first audio stream: float32 ``(channels, n)`` blocks with the stream's rate."""
    import av

    try:
        with av.open(path) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioDecodeError("no audio stream")
            sr = int(stream.rate or stream.codec_context.sample_rate)
            layout = stream.layout.name if stream.layout else None
            # A resampler keeps the rate and layout of the first frame it saw: where a stream changes them (two
            # MP3s of different rates joined), a new one brings the rest to the stream's first rate and layout.
            resampler, seen = None, None
            for frame in container.decode(stream):
                if (frame.sample_rate, frame.layout.name) != seen:
                    if resampler is not None:
                        for out in resampler.resample(None):
                            yield out.to_ndarray(), sr
                    resampler = av.AudioResampler(format="fltp", layout=layout, rate=sr)
                    seen = (frame.sample_rate, frame.layout.name)
                for out in resampler.resample(frame):
                    yield out.to_ndarray(), sr
            if resampler is not None:
                for out in resampler.resample(None):
                    yield out.to_ndarray(), sr
    except AudioDecodeError:
        raise
    except Exception as exc:  # PyAV raises many error types for corrupt input
        # FFmpeg's own words, without the errno and file name its errors add ("[Errno 1094995529] ...: '/tmp/x'")
        raise AudioDecodeError(getattr(exc, "strerror", None) or str(exc)) from exc


def _load_av(path: str) -> tuple[np.ndarray, int]:
    blocks = list(_av_blocks(path))
    if not blocks:
        raise AudioDecodeError("no decodable audio frames")
    return np.concatenate([b for b, _ in blocks], axis=1).astype(np.float32), blocks[0][1]


def _is_mp3(info: sf._SoundFileInfo) -> bool:
    # libsndfile (mpg123) ends an MP3 where its first header says the stream ends: two MP3s joined end to end
    # read as the first alone (5 s of a 705-s file passed the duration limit), a cut-short one as its full
    # length. Browsers decode with FFmpeg, which reads every frame there is, so MP3s are decoded by FFmpeg here.
    return (info.subtype or "").upper().startswith("MPEG_LAYER")


def load_audio(
    path: str | os.PathLike,
    sr: int | None = None,
    mono: bool = False,
    offset: float = 0.0,
    duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode ``path`` into a float32 ``(channels, samples)`` array.

    ``sr`` resamples, ``mono`` averages channels, ``offset``/``duration`` (seconds)
    select a region. Raises :class:`AudioDecodeError` when the data is not audio.
    """
    path = os.fspath(path)
    audio = None
    try:
        info = sf.info(path)
        if not _is_mp3(info):
            start = int(round(offset * info.samplerate))
            frames = -1 if duration is None else int(round(duration * info.samplerate))
            data, file_sr = sf.read(path, start=start, frames=frames, dtype="float32", always_2d=True)
            audio = np.ascontiguousarray(data.T)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass
    if audio is None:  # an MP3, or a container libsndfile does not read
        audio, file_sr = _load_av(path)
        start = int(round(offset * file_sr))
        stop = None if duration is None else start + int(round(duration * file_sr))
        audio = audio[:, start:stop]
    if audio.size == 0:
        raise AudioDecodeError("the file holds no audio samples")
    if not np.all(np.isfinite(audio)):
        raise AudioDecodeError("the decoded audio contains invalid samples")
    if mono and audio.shape[0] > 1:
        audio = audio.mean(axis=0, keepdims=True)
    if sr is not None:
        audio = resample(audio, file_sr, sr)
        file_sr = sr
    return audio.astype(np.float32, copy=False), int(file_sr)


def probe(path: str | os.PathLike) -> AudioInfo:
    """Read container metadata, decoding the stream to get an exact duration."""
    path = os.fspath(path)
    try:
        info = sf.info(path)
        fmt = info.format.lower()
        subtype = info.subtype or ""
        bit_depth = {"PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "PCM_U8": 8, "PCM_S8": 8, "FLOAT": 32, "DOUBLE": 64}.get(
            subtype
        )
        fmt = {"mpeg": "mp3", "oggs": "ogg"}.get(fmt, fmt)
        codec = subtype.lower()
        if fmt == "ogg" and "opus" in codec:
            fmt = "opus"
        # Some containers report an estimate: decode to be sure, a block at a time: held whole (and transposed)
        # a 6-minute stereo WAV cost the web process 270 MB per upload.
        frames = 0
        if _is_mp3(info):
            blocks = (block for block, _ in _av_blocks(path))  # at the stream's first rate, info.samplerate
        else:
            blocks = (b.T for b in sf.blocks(path, blocksize=1 << 16, dtype="float32", always_2d=True))
        for block in blocks:
            if not np.all(np.isfinite(block)):
                raise AudioDecodeError("the decoded audio contains invalid samples")
            frames += block.shape[1]
        if frames == 0:
            raise AudioDecodeError("the file holds no audio samples")
        return AudioInfo(fmt, frames / info.samplerate, info.samplerate, info.channels, bit_depth, codec)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass
    import av

    try:
        with av.open(path) as container:
            fmt = (container.format.name or "").split(",")[0]
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioDecodeError("no audio stream")
            codec = stream.codec_context.name
    except AudioDecodeError:
        raise
    except Exception as exc:
        raise AudioDecodeError(str(exc)) from exc
    audio, sr = _load_av(path)
    fmt = {"mov": "m4a", "mp4": "m4a", "adts": "aac"}.get(fmt, fmt)
    return AudioInfo(fmt, audio.shape[1] / sr, sr, audio.shape[0], None, codec)


def write_audio(path: str | os.PathLike, audio: np.ndarray, sr: int, fmt: str | None = None) -> Path:
    """Write ``(channels, samples)`` audio atomically (temp file, then rename).

    The format comes from ``fmt`` or the file extension: wav, flac, ogg, mp3; also
    wav24, wavf (32-bit float) and flac24.
    Samples are clipped to [-1, 1] only for integer and lossy formats.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in _WRITE_FORMATS:
        raise ValueError(f"cannot write format {fmt!r}; choose one of {sorted(_WRITE_FORMATS)}")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    sf_format, subtype = _WRITE_FORMATS[fmt]
    if fmt != "wavf":
        audio = np.clip(audio, -1.0, 1.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a fresh name beside the target rather than mkstemp, whose 0600 mode would make every result private
    # to the writer: the file gets the usual umask-derived mode, and appears under its name only when whole
    tmp = str(path.with_name(f".{path.name}.{uuid.uuid4().hex}.part"))
    try:
        sf.write(tmp, audio.T, sr, format=sf_format, subtype=subtype)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average channels into a 1-D array."""
    audio = np.asarray(audio, dtype=np.float32)
    return audio if audio.ndim == 1 else audio.mean(axis=0)


def mono_at(audio: np.ndarray, sr: int, sr_out: int) -> np.ndarray:
    """(samples,) or (channels, samples) audio as contiguous float32 mono at ``sr_out``: channels averaged
    first, then resampled (soxr HQ, librosa's default), as the networks' front ends expect."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim not in (1, 2):
        raise ValueError(f"audio must be 1-D or (channels, samples), got shape {audio.shape}")
    return np.ascontiguousarray(resample(to_mono(audio), sr, sr_out), dtype=np.float32)
