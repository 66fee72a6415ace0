"""Images as Pillow reads them: opened within a pixel limit, their EXIF capture time and
perceptual hash, and their bare pixels re-encoded with no metadata.

Pillow is only ever asked to try the formats of :data:`IMAGE_FORMATS` (never EPS, which runs
Ghostscript, or the other exotic plugins). HEIF is read through pillow-heif: iPhones take HEIC
photos, and send them so when a photo goes as a file.
"""

from __future__ import annotations

import io
import warnings
from functools import cache
from typing import TYPE_CHECKING

from domain.errors import InvalidInput
from domain.evidence import (
    EVIDENCE_MAX_PIXELS,
    SANITIZE_MAX_PIXELS,
    NotAnImage,
    check_pixels,
    image_too_large,
)
from domain.i18n import N_

if TYPE_CHECKING:
    from PIL import Image

# Pillow, imagehash (with numpy) and pillow-heif are imported where an image is read, not when
# the process starts: together they are about 30 MB that most processes never need.

# Pillow formats accepted as photos: (extension, MIME type).
IMAGE_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "HEIF": ("heic", "image/heic"),
}
_PHASH_DRAFT = (256, 256)

_EXIF_IFD = 0x8769
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011


class UnreadableImage(InvalidInput):
    key = N_("The image could not be read. Send it again, as a photo.")


@cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def open_image(data: bytes, max_pixels: int) -> Image.Image | None:
    """The image in ``data`` (header read, pixels not yet), or None when it is not one we take.

    Pillow's decompression-bomb check and ours both refuse images over ``max_pixels``.
    """
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    Image.init()
    formats = [name for name in IMAGE_FORMATS if name in Image.OPEN]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data" while reading the header
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=formats)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise image_too_large(max_pixels) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            return None
    check_pixels(image.width, image.height, max_pixels)
    return image


def capture_time_tags(image: Image.Image) -> tuple[object, object]:
    """(DateTimeOriginal or DateTime, its offset) as found; junk EXIF gives (None, None)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's "Corrupt EXIF data" says what we handle
            exif = image.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
        if (original := sub.get(_DATETIME_ORIGINAL)) is not None:
            return original, sub.get(_OFFSET_TIME_ORIGINAL)
        return exif.get(_DATETIME), sub.get(_OFFSET_TIME)
    except Exception:
        return None, None


def phash(image: Image.Image) -> str:
    """The image's perceptual hash (hex), to find the same photo again after re-encoding."""
    if image.format == "JPEG":
        image.draft("L", _PHASH_DRAFT)  # decode at a reduced scale: same hash, far less memory
    import imagehash

    return str(imagehash.phash(image))


# --- bare pixels -------------------------------------------------------------------------------


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours kept right when the ICC profile goes: convert to sRGB first, if it is readable."""
    from PIL import ImageCms

    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        target = ImageCms.createProfile("sRGB")
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        return True
    return image.mode == "P" and "transparency" in image.info


_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, RuntimeError)


def _upright(data: bytes, max_pixels: int) -> Image.Image:
    """The image in ``data``, decoded, turned as its EXIF orientation says, in sRGB; its
    metadata are not carried over by what is made from it here."""
    from PIL import ImageOps

    image = open_image(data, max_pixels)
    if image is None:
        raise NotAnImage()
    try:
        image.load()
        try:
            upright = ImageOps.exif_transpose(image)
        except Exception:
            upright = image
        return _to_srgb(upright)
    except _DECODE_ERRORS as exc:
        raise UnreadableImage() from exc


def sanitize_image(data: bytes, *, max_pixels: int = SANITIZE_MAX_PIXELS) -> tuple[bytes, str]:
    """The pixels of the image in ``data`` and nothing else, as (bytes, extension).

    The EXIF orientation is applied, then the image is re-encoded from its bare pixels into a
    new JPEG (a PNG when it has transparency): no EXIF (GPS, device, time), XMP, ICC profile,
    comments or text chunks survive. Images over ``max_pixels`` are refused.
    """
    from PIL import Image

    oriented = _upright(data, max_pixels)
    try:
        transparent = _has_transparency(oriented)
        mode = "RGBA" if transparent else ("L" if oriented.mode in ("1", "L") else "RGB")
        pixels = oriented.convert(mode)
    except _DECODE_ERRORS as exc:
        raise UnreadableImage() from exc
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    output = io.BytesIO()
    if transparent:
        bare.save(output, format="PNG", optimize=True)
        return output.getvalue(), "png"
    bare.save(output, format="JPEG", quality=90, optimize=True)
    return output.getvalue(), "jpg"


DISPLAY_SIDE = 2560
"""The longest side of a photo shown in the console in place of one browsers cannot show."""


def display_image(data: bytes) -> bytes:
    """A JPEG of the photo in ``data`` for a browser, at most :data:`DISPLAY_SIDE` pixels on its
    longer side, turned upright, with no metadata. For stored evidence (up to the evidence
    limit of pixels) in a format browsers cannot show, such as HEIC."""
    from PIL import Image

    upright = _upright(data, EVIDENCE_MAX_PIXELS)
    try:
        shown = upright.convert("RGB")
        shown.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
        bare = Image.frombytes(shown.mode, shown.size, shown.tobytes())
        output = io.BytesIO()
        bare.save(output, format="JPEG", quality=85, optimize=True)
    except _DECODE_ERRORS as exc:
        raise UnreadableImage() from exc
    return output.getvalue()


def phash_of(data: bytes) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
        return phash(image)
