"""Photo processing with Pillow: recognise the format by content, refuse image bombs, and re-encode
in two widths without any metadata (no EXIF: no GPS position, no camera make or model)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ValidationError

# Formats accepted, as Pillow names them after reading the first bytes (its JPEG reader also
# opens a phone's multi-picture JPEG, which it then calls MPO).
FORMATS = ("JPEG", "PNG", "WEBP")
WIDTHS = (1200, 400)
MAX_SIDE = 12_000
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; more is refused before anything is decoded
JPEG_QUALITY = 82

# Pillow refuses more than twice this on open() (DecompressionBombError); we check first anyway.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
Image.init()  # registers every format plugin (WebP, MPO), not only the few open() preloads


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    data: bytes
    digest: str  # sha256 of data, hex

    content_type = "image/jpeg"


def _refuse(message: str) -> ValidationError:
    return ValidationError(details={"file": [message]})


def renditions(data: bytes) -> list[Rendition]:
    """The photo at 1200 and 400 px wide (never wider than the original), as JPEG without
    metadata. Anything that is not a JPEG, PNG or WebP image, or is too large to decode, → 422."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        width, height = image.size  # read from the header: nothing decoded yet
        if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
            raise _refuse(f"The photo is too large ({width}×{height} px); at most 50 megapixels.")
        if image.format in ("JPEG", "MPO"):
            # Decode at a reduced scale straight from the JPEG (much faster for camera photos).
            image.draft("RGB", (WIDTHS[0], max(1, WIDTHS[0] * height // width)))
        image.load()
        image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
        image = _flatten(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse("The photo is too large to process; at most 50 megapixels.") from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as exc:
        raise _refuse("Not a JPEG, PNG or WebP photo, or a damaged one.") from exc
    return [_encode(image, target) for target in WIDTHS]


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, target: int) -> Rendition:
    width, height = image.size
    if width > target:
        height = max(1, round(height * target / width))
        width = target
        image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    # No exif=, icc_profile= or comment: Pillow writes none of the original's metadata.
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    data = out.getvalue()
    return Rendition(width, height, data, hashlib.sha256(data).hexdigest())
