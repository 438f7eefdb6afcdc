"""The TF1 checkpoint reader: real shipped checkpoints plus a hand-built bundle with known contents."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from sonicai.music.tf_bundle import TFBundleError, list_tf_bundle, read_bundle_index, read_tf_bundle

SITE = Path(np.__file__).resolve().parents[1]
MUSICNN_PREFIX = SITE / "musicnn" / "MSD_musicnn"
SPLEETER_PREFIX = SITE / "spleeter" / "pretrained_models" / "2stems" / "model"



def _crc32c(data: bytes) -> int:
    # Bit-by-bit Castagnoli CRC, independent of the reader: TF stores crc32c of each tensor's bytes.
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def _unmask(masked: int) -> int:
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


@pytest.mark.skipif(not (MUSICNN_PREFIX / ".index").is_file(), reason="musicnn weights wheel not installed")
def test_musicnn_checkpoint_layout_and_sizes():
    prefix = f"{MUSICNN_PREFIX}/"
    listing = list_tf_bundle(prefix)
    assert listing["conv2d/kernel"] == ("float32", (7, 38, 1, 204))  # timbral 7 x int(0.4*96) filters
    assert listing["dense_1/kernel"] == ("float32", (200, 50))  # 200-unit penultimate -> 50 MSD tags
    tensors = read_tf_bundle(prefix)
    assert set(tensors) == set(listing)
    data_len = (MUSICNN_PREFIX / ".data-00000-of-00001").stat().st_size
    assert sum(t.nbytes for t in tensors.values()) == data_len
    # Trained batch-norm variances are positive and finite: garbage offsets would not be.
    for name, t in tensors.items():
        assert np.all(np.isfinite(t)), name
        if name.endswith("moving_variance"):
            assert np.all(t > 0), name
    # Independent check of offsets: the stored crc32c of a tensor matches its bytes.
    _, entries = read_bundle_index(prefix)
    for name in ["dense_1/bias", "batch_normalization_10/moving_mean", "beta1_power"]:
        got = _crc32c(tensors[name].astype("<f4").tobytes())
        assert got == _unmask(entries[name].crc32c), name


@pytest.mark.skipif(not SPLEETER_PREFIX.with_suffix(".index").is_file(), reason="spleeter weights not installed")
def test_spleeter_checkpoint_reads_completely():
    listing = list_tf_bundle(SPLEETER_PREFIX)
    assert len(listing) > 50
    kernels = {k: v for k, v in listing.items() if k.endswith("conv2d/kernel")}
    assert kernels and all(len(shape) == 4 for _, shape in kernels.values())
    tensors = read_tf_bundle(SPLEETER_PREFIX, names=list(kernels))
    for k, (_, shape) in kernels.items():
        assert tensors[k].shape == shape and tensors[k].dtype == np.float32
    data_len = Path(f"{SPLEETER_PREFIX}.data-00000-of-00001").stat().st_size
    total = sum(
        int(np.prod(shape, dtype=np.int64)) * {"float32": 4, "float64": 8, "int32": 4, "int64": 8}[dt]
        for dt, shape in listing.values()
    )
    assert total == data_len


# ----------------------------------------------------------------------------- hand-built bundle


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, wire: int, payload: bytes) -> bytes:
    return _varint(num << 3 | wire) + payload


def _entry_proto(dtype: int, shape: tuple[int, ...], offset: int, size: int) -> bytes:
    shape_msg = b"".join(_field(2, 2, _varint(len(d)) + d) for d in (_field(1, 0, _varint(s)) for s in shape))
    return (
        _field(1, 0, _varint(dtype))
        + _field(2, 2, _varint(len(shape_msg)) + shape_msg)
        + _field(4, 0, _varint(offset))
        + _field(5, 0, _varint(size))
    )


def _block(items: list[tuple[bytes, bytes]], restart_interval: int = 2) -> bytes:
    # Prefix-compressed entries with a restart point every `restart_interval` keys, as LevelDB writes them.
    out = bytearray()
    restarts = []
    prev = b""
    for i, (k, v) in enumerate(items):
        if i % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = len(next(prefix for prefix in (k[:n] for n in range(len(k), -1, -1)) if prev.startswith(prefix)))
        out += _varint(shared) + _varint(len(k) - shared) + _varint(len(v)) + k[shared:] + v
        prev = k
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def _write_bundle(prefix: Path, tensors: dict[str, np.ndarray], dtypes: dict[str, int]) -> None:
    data = bytearray()
    items = [(b"", _field(1, 0, _varint(1)))]  # BundleHeaderProto{num_shards: 1}
    for name in sorted(tensors):
        raw = np.ascontiguousarray(tensors[name]).tobytes()
        items.append((name.encode(), _entry_proto(dtypes[name], tensors[name].shape, len(data), len(raw))))
        data += raw
    # Two data blocks so the index block really has to be followed.
    blocks = [b for b in (items[:3], items[3:]) if b]
    index = bytearray()
    index_items = []
    for blk in blocks:
        body = _block(blk)
        index_items.append((blk[-1][0], _varint(len(index)) + _varint(len(body))))
        index += body + b"\x00\x00\x00\x00\x00"
    meta_off = len(index)
    meta = _block([])
    index += meta + b"\x00" * 5
    idx_off = len(index)
    idx_body = _block(index_items)
    index += idx_body + b"\x00" * 5
    handles = _varint(meta_off) + _varint(len(meta)) + _varint(idx_off) + _varint(len(idx_body))
    index += handles.ljust(40, b"\x00") + struct.pack("<Q", 0xDB4775248B80FB57)
    Path(f"{prefix}.index").write_bytes(bytes(index))
    Path(f"{prefix}.data-00000-of-00001").write_bytes(bytes(data))


def test_hand_built_bundle_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {
        "layer/kernel": rng.standard_normal((3, 4, 2)).astype(np.float32),
        "layer/kernel_scale": rng.standard_normal(5).astype(np.float64),
        "layer/steps": np.array([1, -2, 3], dtype=np.int32),
        "global_step": np.array(123456789012, dtype=np.int64),
        "layer/bias": np.zeros((0,), dtype=np.float32),
    }
    dtypes = {"layer/kernel": 1, "layer/kernel_scale": 2, "layer/steps": 3, "global_step": 9, "layer/bias": 1}
    prefix = tmp_path / "model"
    _write_bundle(prefix, tensors, dtypes)

    listing = list_tf_bundle(prefix)
    assert listing["layer/kernel"] == ("float32", (3, 4, 2))
    assert listing["global_step"] == ("int64", ())
    got = read_tf_bundle(prefix)
    assert set(got) == set(tensors)
    for k, v in tensors.items():
        assert got[k].dtype == v.dtype and got[k].shape == v.shape, k
        np.testing.assert_array_equal(got[k], v)
    only = read_tf_bundle(prefix, names=["layer/steps"])
    assert list(only) == ["layer/steps"]
    with pytest.raises(KeyError):
        read_tf_bundle(prefix, names=["nope"])


def test_corrupt_or_missing_files_raise_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="index"):
        read_tf_bundle(tmp_path / "absent")
    bad = tmp_path / "bad"
    Path(f"{bad}.index").write_bytes(b"\x00" * 64)
    with pytest.raises(TFBundleError, match="magic"):
        list_tf_bundle(bad)
    prefix = tmp_path / "m"
    _write_bundle(prefix, {"a": np.ones(3, np.float32), "b": np.ones(2, np.float32)}, {"a": 1, "b": 1})
    Path(f"{prefix}.data-00000-of-00001").write_bytes(b"\x00" * 4)  # truncated shard
    with pytest.raises(TFBundleError, match="past the end"):
        read_tf_bundle(prefix)
