"""A tiny PNG reader (8-bit RGB/RGBA, not interlaced) for checking screenshots without an image library."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # PNG color type -> bytes per pixel at bit depth 8


def _paeth_row(filt: bytes, prior: np.ndarray, bpp: int) -> np.ndarray:
    up = prior.tolist()
    out = bytearray(filt)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = up[i]
        c = up[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (out[i] + pred) & 0xFF
    return np.frombuffer(bytes(out), np.uint8)


def _avg_row(filt: bytes, prior: np.ndarray, bpp: int) -> np.ndarray:
    up = prior.tolist()
    out = bytearray(filt)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        out[i] = (out[i] + (a + up[i]) // 2) & 0xFF
    return np.frombuffer(bytes(out), np.uint8)


def read_png(path: Path) -> np.ndarray:
    """The pixels as an array of shape (height, width, channels), dtype uint8."""
    data = Path(path).read_bytes()
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = len(SIGNATURE), [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in CHANNELS or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, color type {color}, interlace {interlace})")
    bpp = CHANNELS[color]
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    rows = np.zeros((height, stride), np.uint8)
    prior = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, filt = raw[y * (stride + 1)], raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]
        cur = np.frombuffer(filt, np.uint8)
        if kind == 1:  # Sub: running sum of each channel along the row
            cur = (np.cumsum(cur.reshape(width, bpp).astype(np.int64), axis=0) % 256).astype(np.uint8).reshape(-1)
        elif kind == 2:  # Up
            cur = cur + prior
        elif kind == 3:
            cur = _avg_row(filt, prior, bpp)
        elif kind == 4:
            cur = _paeth_row(filt, prior, bpp)
        elif kind != 0:
            raise ValueError(f"{path}: bad filter {kind} in row {y}")
        rows[y] = cur
        prior = cur
    return rows.reshape(height, width, bpp)
