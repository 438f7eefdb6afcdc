"""Read the nodes and constant tensors of an ONNX model file without the ``onnx`` package.

basic-pitch ships its network as ``nmp.onnx`` (a ``ModelProto`` protobuf written by tf2onnx). We run
the network in PyTorch (``basic_pitch.py``) and only need its constants and the wiring between
nodes to find them, so this module decodes the handful of protobuf fields involved by hand instead of
adding the ``onnx`` package (and its generated classes) as a dependency for one file read at load time.

Field numbers are those of ``onnx/onnx.proto`` (IR version 8):

* ``ModelProto.graph`` = 7
* ``GraphProto``: ``node`` = 1, ``initializer`` = 5
* ``NodeProto``: ``input`` = 1, ``output`` = 2, ``name`` = 3, ``op_type`` = 4, ``attribute`` = 5
* ``AttributeProto``: ``name`` = 1, ``f`` = 2, ``i`` = 3, ``s`` = 4, ``floats`` = 7, ``ints`` = 8
* ``TensorProto``: ``dims`` = 1, ``data_type`` = 2, ``float_data`` = 4, ``int32_data`` = 5,
  ``int64_data`` = 7, ``name`` = 8, ``raw_data`` = 9, ``double_data`` = 10
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sonicai.music.protobuf_wire import fields, signed64, varint

__all__ = ["OnnxGraph", "OnnxNode", "OnnxFormatError", "read_onnx_graph"]

# TensorProto.DataType -> numpy dtype (the ones a converted Keras model uses).
_DTYPES = {1: np.dtype("<f4"), 6: np.dtype("<i4"), 7: np.dtype("<i8"), 9: np.dtype("?"), 11: np.dtype("<f8")}


class OnnxFormatError(ValueError):
    """The file is not an ONNX model this reader understands."""


@dataclass
class OnnxNode:
    op_type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass
class OnnxGraph:
    nodes: list[OnnxNode]
    initializers: dict[str, np.ndarray]

    def consumers(self, tensor: str) -> list[OnnxNode]:
        """Nodes that take ``tensor`` as an input."""
        return [n for n in self.nodes if tensor in n.inputs]

    def constant(self, node: OnnxNode, index: int) -> np.ndarray:
        """The initializer feeding input ``index`` of ``node``."""
        try:
            return self.initializers[node.inputs[index]]
        except (IndexError, KeyError):
            raise OnnxFormatError(f"input {index} of {node.op_type} node {node.name!r} is not a constant") from None


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    return varint(buf, pos, OnnxFormatError)


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    return fields(buf, OnnxFormatError)


def _ints(values: list[tuple[int, object]]) -> list[int]:
    """A repeated int64 field, packed (wire type 2) or not (wire type 0)."""
    out: list[int] = []
    for wire, v in values:
        if wire == 0:
            out.append(signed64(v))
        else:
            pos = 0
            while pos < len(v):
                x, pos = _varint(v, pos)
                out.append(signed64(x))
    return out


def _tensor(buf: bytes) -> tuple[str, np.ndarray]:
    fs = _fields(buf)
    dims = _ints([(w, v) for n, w, v in fs if n == 1])
    dtype_code = next((v for n, _, v in fs if n == 2), 0)
    name = next((v.decode() for n, _, v in fs if n == 8), "")
    if dtype_code not in _DTYPES:
        raise OnnxFormatError(f"tensor {name!r} has unsupported data type {dtype_code}")
    dtype = _DTYPES[dtype_code]
    raw = [v for n, _, v in fs if n == 9]
    if raw:
        arr = np.frombuffer(raw[0], dtype=dtype)
    elif dtype_code == 1:
        # Packed (one length-delimited field) or not (one 4-byte field each): the same bytes either way.
        packed = b"".join(v for n, _, v in fs if n == 4)
        arr = np.frombuffer(packed, dtype=dtype)
    elif dtype_code == 11:
        arr = np.frombuffer(b"".join(v for n, _, v in fs if n == 10), dtype=dtype)
    elif dtype_code == 7:
        arr = np.array(_ints([(w, v) for n, w, v in fs if n == 7]), dtype=dtype)
    else:  # int32 and bool are stored in int32_data
        arr = np.array(_ints([(w, v) for n, w, v in fs if n == 5]), dtype=dtype)
    expected = int(np.prod(dims)) if dims else 1
    if arr.size != expected:
        raise OnnxFormatError(f"tensor {name!r} holds {arr.size} values for shape {dims}")
    return name, arr.reshape(dims).copy()


def _attribute(buf: bytes) -> tuple[str, object]:
    fs = _fields(buf)
    name = next((v.decode() for n, _, v in fs if n == 1), "")
    ints = [(w, v) for n, w, v in fs if n == 8]
    if ints:
        return name, _ints(ints)
    for n, _, v in fs:
        if n == 2:
            return name, struct.unpack("<f", v)[0]
        if n == 3:
            return name, signed64(v)
        if n == 4:
            return name, v.decode(errors="replace")
    return name, None


def _node(buf: bytes) -> OnnxNode:
    fs = _fields(buf)
    return OnnxNode(
        op_type=next((v.decode() for n, _, v in fs if n == 4), ""),
        name=next((v.decode() for n, _, v in fs if n == 3), ""),
        inputs=[v.decode() for n, _, v in fs if n == 1],
        outputs=[v.decode() for n, _, v in fs if n == 2],
        attributes=dict(_attribute(v) for n, _, v in fs if n == 5),
    )


def read_onnx_graph(path: str | Path) -> OnnxGraph:
    """Parse ``path`` into its nodes (in file order) and its initializers (name -> array)."""
    data = Path(path).read_bytes()
    graphs = [v for n, w, v in _fields(data) if n == 7 and w == 2]
    if not graphs:
        raise OnnxFormatError(f"{path} holds no ONNX graph")
    nodes, inits = [], {}
    for n, w, v in _fields(graphs[0]):
        if n == 1 and w == 2:
            nodes.append(_node(v))
        elif n == 5 and w == 2:
            name, arr = _tensor(v)
            inits[name] = arr
    return OnnxGraph(nodes=nodes, initializers=inits)
