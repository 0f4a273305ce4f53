"""Photos for the tests, made with Pillow: a phone photo with GPS and camera EXIF, a PNG with
transparency, and an image bomb (a PNG header claiming 50,000 × 50,000 pixels)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

GPS_IFD = 0x8825
MAKE, MODEL = 0x010F, 0x0110


def phone_photo(width: int = 1600, height: int = 1200, fmt: str = "JPEG") -> bytes:
    """A photo with the EXIF a phone writes: camera make and model, and the GPS position."""
    image = Image.new("RGB", (width, height), (200, 40, 60))
    for x in range(0, width, 50):
        image.paste((30, 160, 60), (x, 0, x + 20, height))
    exif = Image.Exif()
    exif[MAKE] = "Samsung"
    exif[MODEL] = "Galaxy A54"
    exif[GPS_IFD] = {1: "N", 2: (20.0, 55.0, 12.5), 3: "E", 4: (106.0, 25.0, 3.0)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def transparent_png(width: int = 300, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 200, 10, 120)).save(out, "PNG")
    return out.getvalue()


def tiny_png(colour=(1, 2, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 50_000) -> bytes:
    """A few hundred bytes whose header claims side × side pixels (RGB)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def upload(actor, product_id: int, data: bytes, name: str = "photo.jpg", ctype="image/jpeg"):
    return actor.api.call(
        "POST",
        f"/products/{product_id}/images",
        data={"file": (io.BytesIO(data), name, ctype)},
        content_type="multipart/form-data",
    )


def files_in(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
