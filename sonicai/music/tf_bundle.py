"""Read TensorFlow 1 checkpoints (tensor bundles) without TensorFlow.

A checkpoint ``<prefix>`` is two or more files:

* ``<prefix>.index`` -- a LevelDB-format SSTable whose keys are variable names and whose values are
  serialized ``BundleEntryProto`` messages (dtype, shape, shard, offset, size, crc32c). The empty key
  ``""`` holds a ``BundleHeaderProto`` (number of shards, endianness).
* ``<prefix>.data-SSSSS-of-NNNNN`` -- raw tensor bytes, concatenated.

Pretrained weights we ship (Spleeter, musicnn) come in this format, and TensorFlow is deliberately not a
dependency of the project, so this module parses the SSTable and the two small protobuf messages by hand.
The protobufs are decoded with a tiny wire-format reader instead of the ``protobuf`` package because the
message schemas live inside TensorFlow; we only need six scalar fields, which is simpler than shipping
generated ``.proto`` classes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sonicai.music.protobuf_wire import fields, signed64, varint

__all__ = ["BundleEntry", "TFBundleError", "list_tf_bundle", "read_tf_bundle", "read_bundle_index"]

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_LEN = 48  # two BlockHandles padded to 40 bytes + 8-byte magic
_BLOCK_TRAILER_LEN = 5  # 1 byte compression type + 4 byte masked crc32c

# tensorflow/core/framework/types.proto DataType enum -> (name, numpy dtype).
_DTYPES: dict[int, tuple[str, np.dtype]] = {
    1: ("float32", np.dtype("<f4")),
    2: ("float64", np.dtype("<f8")),
    3: ("int32", np.dtype("<i4")),
    4: ("uint8", np.dtype("u1")),
    5: ("int16", np.dtype("<i2")),
    6: ("int8", np.dtype("i1")),
    9: ("int64", np.dtype("<i8")),
    10: ("bool", np.dtype("?")),
    19: ("float16", np.dtype("<f2")),
}
_DTYPE_NAMES_UNSUPPORTED = {7: "string", 8: "complex64", 14: "bfloat16", 20: "resource", 21: "variant"}


class TFBundleError(ValueError):
    """The checkpoint files are missing, truncated or not in the tensor-bundle format."""


@dataclass(frozen=True)
class BundleEntry:
    name: str
    dtype_enum: int
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int
    crc32c: int

    @property
    def dtype_name(self) -> str:
        if self.dtype_enum in _DTYPES:
            return _DTYPES[self.dtype_enum][0]
        return _DTYPE_NAMES_UNSUPPORTED.get(self.dtype_enum, f"dtype_{self.dtype_enum}")


# --------------------------------------------------------------------------- protobuf wire format


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    return varint(buf, pos, TFBundleError)


def _proto_fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    return fields(buf, TFBundleError)


def _parse_shape(buf: bytes) -> tuple[int, ...]:
    # TensorShapeProto: repeated Dim dim = 2 {int64 size = 1; string name = 2}; bool unknown_rank = 3.
    dims: list[int] = []
    for field, _, value in _proto_fields(buf):
        if field == 2:
            size = 0
            for f2, _, v2 in _proto_fields(value):  # type: ignore[arg-type]
                if f2 == 1:
                    size = signed64(v2)  # type: ignore[arg-type]
            dims.append(size)
    return tuple(dims)


def _parse_entry(name: str, buf: bytes) -> BundleEntry:
    dtype = shard = offset = size = crc = 0
    shape: tuple[int, ...] = ()
    for field, wire, value in _proto_fields(buf):
        if field == 1:
            dtype = value  # type: ignore[assignment]
        elif field == 2 and wire == 2:
            shape = _parse_shape(value)  # type: ignore[arg-type]
        elif field == 3:
            shard = value  # type: ignore[assignment]
        elif field == 4:
            offset = value  # type: ignore[assignment]
        elif field == 5:
            size = value  # type: ignore[assignment]
        elif field == 6:
            crc = int.from_bytes(value, "little") if isinstance(value, bytes) else value  # fixed32
        elif field == 7:
            raise TFBundleError(f"{name!r} is a partitioned (sliced) variable, which is not supported")
    return BundleEntry(name, int(dtype), shape, int(shard), int(offset), int(size), int(crc))


def _parse_header(buf: bytes) -> tuple[int, int]:
    """BundleHeaderProto -> (num_shards, endianness); endianness 0 = little, 1 = big."""
    num_shards, endianness = 1, 0
    for field, _, value in _proto_fields(buf):
        if field == 1:
            num_shards = int(value)  # type: ignore[arg-type]
        elif field == 2:
            endianness = int(value)  # type: ignore[arg-type]
    return num_shards, endianness


# --------------------------------------------------------------------------- LevelDB SSTable


def _read_block(data: bytes, offset: int, size: int) -> bytes:
    end = offset + size
    if end + _BLOCK_TRAILER_LEN > len(data):
        raise TFBundleError("block handle points past end of index file")
    compression = data[end]
    if compression != 0:
        # TF writes bundle indexes uncompressed; snappy would need an extra dependency.
        raise TFBundleError(f"compressed SSTable block (type {compression}) is not supported")
    return data[offset:end]


def _block_entries(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Walk a block's prefix-compressed entries in order (restart points are only needed for seeking)."""
    if len(block) < 4:
        raise TFBundleError("block too short")
    num_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise TFBundleError("corrupt block restart array")
    pos = 0
    key = b""
    while pos < limit:
        shared, pos = _varint(block, pos)
        non_shared, pos = _varint(block, pos)
        value_len, pos = _varint(block, pos)
        if shared > len(key) or pos + non_shared + value_len > limit:
            raise TFBundleError("corrupt block entry")
        key = key[:shared] + block[pos : pos + non_shared]
        pos += non_shared
        yield key, block[pos : pos + value_len]
        pos += value_len


def _decode_handle(buf: bytes, pos: int = 0) -> tuple[int, int, int]:
    offset, pos = _varint(buf, pos)
    size, pos = _varint(buf, pos)
    return offset, size, pos


def _sstable_items(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    if len(data) < _FOOTER_LEN:
        raise TFBundleError("index file too short to be an SSTable")
    footer = data[-_FOOTER_LEN:]
    magic = struct.unpack_from("<Q", footer, 40)[0]
    if magic != _TABLE_MAGIC:
        raise TFBundleError(f"bad SSTable magic {magic:#x}")
    _, _, pos = _decode_handle(footer, 0)  # metaindex block: unused by tensor bundles
    index_off, index_size, _ = _decode_handle(footer, pos)
    for _, handle in _block_entries(_read_block(data, index_off, index_size)):
        off, size, _ = _decode_handle(handle)
        yield from _block_entries(_read_block(data, off, size))


# --------------------------------------------------------------------------- public API


def _index_path(prefix: str | Path) -> Path:
    # Prefixes can end in "/" (musicnn ships "MSD_musicnn/.index"), so build the name as a string.
    return Path(f"{prefix}.index")


def _data_path(prefix: str | Path, shard: int, num_shards: int) -> Path:
    return Path(f"{prefix}.data-{shard:05d}-of-{num_shards:05d}")


def read_bundle_index(prefix: str | Path) -> tuple[int, dict[str, BundleEntry]]:
    """Parse ``<prefix>.index`` -> (num_shards, {variable name: BundleEntry}), names in file order."""
    path = _index_path(prefix)
    if not path.is_file():
        raise FileNotFoundError(f"TensorFlow checkpoint index not found: {path}")
    data = path.read_bytes()
    num_shards = 1
    entries: dict[str, BundleEntry] = {}
    for key, value in _sstable_items(data):
        if key == b"":
            num_shards, endianness = _parse_header(value)
            if endianness != 0:
                raise TFBundleError("big-endian checkpoints are not supported")
            continue
        name = key.decode("utf-8")
        entries[name] = _parse_entry(name, value)
    return num_shards, entries


def list_tf_bundle(prefix: str | Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Variable names in the checkpoint -> (dtype name, shape), without reading tensor data."""
    _, entries = read_bundle_index(prefix)
    return {name: (e.dtype_name, e.shape) for name, e in entries.items()}


def read_tf_bundle(prefix: str | Path, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Load tensors from a TF1 checkpoint ``prefix`` (e.g. ``.../2stems/model`` or ``.../MSD_musicnn/``).

    ``names`` restricts loading to those variables (KeyError for unknown ones). Arrays are native-endian
    copies with the checkpoint's dtype and shape. Unsupported dtypes (strings, complex) raise TFBundleError.
    """
    num_shards, entries = read_bundle_index(prefix)
    wanted = list(entries) if names is None else list(names)
    missing = [n for n in wanted if n not in entries]
    if missing:
        raise KeyError(f"variables not in checkpoint {prefix}: {missing[:5]}")

    shard_data: dict[int, np.memmap | np.ndarray] = {}
    out: dict[str, np.ndarray] = {}
    for name in wanted:
        e = entries[name]
        if e.dtype_enum not in _DTYPES:
            raise TFBundleError(f"{name!r} has unsupported dtype {e.dtype_name}")
        dtype = _DTYPES[e.dtype_enum][1]
        count = int(np.prod(e.shape, dtype=np.int64)) if e.shape else 1
        if count * dtype.itemsize != e.size:
            raise TFBundleError(f"{name!r}: shape {e.shape} x {dtype} does not match stored size {e.size}")
        if e.shard_id not in shard_data:
            dpath = _data_path(prefix, e.shard_id, num_shards)
            if not dpath.is_file():
                raise FileNotFoundError(f"TensorFlow checkpoint data shard not found: {dpath}")
            shard_data[e.shard_id] = np.memmap(dpath, dtype=np.uint8, mode="r")
        buf = shard_data[e.shard_id]
        if e.offset + e.size > buf.shape[0]:
            raise TFBundleError(f"{name!r} extends past the end of data shard {e.shard_id}")
        raw = np.asarray(buf[e.offset : e.offset + e.size])
        out[name] = raw.view(dtype).reshape(e.shape).astype(dtype.newbyteorder("="), copy=True)
    return out
