"""Protocol Buffers' wire format, read without the protobuf package.

Both weight readers need a handful of fields from a few messages: TensorFlow's tensor bundles (``tf_bundle``,
the Spleeter checkpoints) and basic-pitch's ONNX graph (``transcription.onnx_graph``). Hand-written because the
protobuf runtime plus TensorFlow's or ONNX's generated classes would be two large dependencies for one file read
at load time.
"""

from __future__ import annotations


class WireFormatError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def varint(buf: bytes, pos: int, error: type[Exception] = WireFormatError) -> tuple[int, int]:
    """The unsigned varint at ``pos`` and the position after it; ``error`` is raised for a truncated or
    over-long one (callers pass their format's own error class)."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise error("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise error("varint too long")


def fields(buf: bytes, error: type[Exception] = WireFormatError) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for every field of one message, in order: varints as ints,
    length-delimited fields and fixed64/fixed32 ones as their bytes (little-endian, as on the wire)."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos, error)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = varint(buf, pos, error)
        elif wire == 1:
            value, pos = bytes(buf[pos:pos + 8]), pos + 8
        elif wire == 2:
            size, pos = varint(buf, pos, error)
            value, pos = bytes(buf[pos:pos + size]), pos + size
        elif wire == 5:
            value, pos = bytes(buf[pos:pos + 4]), pos + 4
        else:
            raise error(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise error("truncated protobuf message")
        out.append((number, wire, value))
    return out


def signed64(v: int) -> int:
    """An int64 field's value from its varint (two's complement in 64 bits)."""
    return v - (1 << 64) if v >= 1 << 63 else v
