"""Write a TensorFlow 1 checkpoint (tensor bundle) for tests: the format ``sonicai.music.tf_bundle`` reads.

``<prefix>.index`` is a LevelDB-format table (one uncompressed data block, an empty meta-index block, an index
block, the 48-byte footer with the table magic) whose first key "" holds the BundleHeaderProto and whose other
keys, sorted, are variable names with their BundleEntryProto; ``<prefix>.data-00000-of-00001`` holds the raw
little-endian tensors. The entries' crc32c field is written as 0 (the reader does not check it).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_DTYPES = {np.dtype("float32"): 1, np.dtype("float64"): 2, np.dtype("int32"): 3, np.dtype("int64"): 9}
_MAGIC = 0xDB4775248B80FB57


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field_bytes(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _entry_proto(dtype: int, shape: tuple[int, ...], offset: int, size: int) -> bytes:
    dims = b"".join(_field_bytes(2, _field_varint(1, d)) for d in shape)
    return (_field_varint(1, dtype) + _field_bytes(2, dims) + _field_varint(3, 0) + _field_varint(4, offset)
            + _field_varint(5, size) + _varint(6 << 3 | 5) + struct.pack("<I", 0))


def _block(items: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(_varint(0) + _varint(len(k)) + _varint(len(v)) + k + v for k, v in items)
    return body + struct.pack("<I", 0) + struct.pack("<I", 1)  # one restart point at offset 0


def write_tf_bundle(prefix: str | Path, tensors: dict[str, np.ndarray]) -> None:
    data = bytearray()
    items = [(b"", _field_varint(1, 1) + _field_varint(2, 0))]  # header: one shard, little endian
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        items.append((name.encode(), _entry_proto(_DTYPES[array.dtype], array.shape, len(data), len(raw))))
        data += raw
    Path(f"{prefix}.data-00000-of-00001").write_bytes(bytes(data))

    trailer = b"\x00" + struct.pack("<I", 0)  # no compression, crc not checked by the reader
    table = bytearray()
    data_block = _block(items)
    data_handle = _varint(0) + _varint(len(data_block))
    table += data_block + trailer
    meta_block = _block([])
    meta_handle = _varint(len(table)) + _varint(len(meta_block))
    table += meta_block + trailer
    index_block = _block([(items[-1][0], data_handle)])
    index_handle = _varint(len(table)) + _varint(len(index_block))
    table += index_block + trailer
    footer = (meta_handle + index_handle).ljust(40, b"\x00") + struct.pack("<Q", _MAGIC)
    Path(f"{prefix}.index").write_bytes(bytes(table + footer))
