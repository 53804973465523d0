"""What an uploaded file really is, judged from its bytes, never from its name; how big an
image is; under which name and type a file may be stored and handed out. No database."""

import hashlib
import re
import warnings
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image

TEXT_TYPE = "text/plain"


def sniff_content_type(head: bytes) -> str | None:
    """The MIME type of a file from its first bytes, or None if unrecognised."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    return TEXT_TYPE if _looks_like_text(head) else None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    # Chinese text files arrive as UTF-8 or GB18030; cut at a character boundary may leave a
    # partial multi-byte sequence at the end, so ignore the last few bytes.
    for encoding in ("utf-8", "gb18030"):
        try:
            head[:-4].decode(encoding) if len(head) > 8 else head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


# Types a browser may be given as they are (docs/security.md, "Uploads"): raster images and PDF.
# Anything else (text, and whatever ATTACHMENT_ALLOWED_TYPES may add) is handed out as plain text
# under a .txt name, so an uploaded page.html can never open as a web page of this site.
SERVED_AS_IS = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
                          "image/tiff", "application/pdf"})
SERVED_TEXT_TYPE = "text/plain; charset=utf-8"


def served_content_type(content_type: str) -> str:
    return content_type if content_type in SERVED_AS_IS else SERVED_TEXT_TYPE


def safe_file_name(name: str, content_type: str) -> str:
    """The name to store and download a file under: its own for images and PDF, else with its
    last extension replaced by .txt ("page.html" -> "page.txt")."""
    name = PurePosixPath((name or "attachment").replace("\\", "/")).name or "attachment"
    if content_type in SERVED_AS_IS:
        return name
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return f"{stem or 'attachment'}.txt"


def image_pixel_refusal(name: str, content_type: str, file) -> str | None:
    """Why an image is refused for its size in pixels (ATTACHMENT_MAX_IMAGE_PIXELS), or None.
    A small file can unpack into gigabytes (a 30000x30000 PNG is under 1 MB); only the header
    is read here."""
    if not content_type.startswith("image/"):
        return None
    limit = settings.ATTACHMENT_MAX_IMAGE_PIXELS
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
                pixels = width * height
    except Image.DecompressionBombError as error:
        # far above Pillow's own guard, so certainly above ours; its message holds the count
        found = re.search(r"\((\d+) pixels\)", str(error))
        pixels = int(found.group(1)) if found else None
    except Exception:  # noqa: BLE001 - an unreadable image is harmless as a download
        return None
    finally:
        file.seek(0)
    if pixels is not None and pixels <= limit:
        return None
    return _("“%(name)s” has %(pixels)s megapixels; images may have at most %(limit)s "
             "megapixels.") % {"name": name, "limit": f"{limit / 1_000_000:g}",
                               "pixels": f"{pixels / 1_000_000:g}" if pixels else "> 100"}


def file_sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def download_response(file, name: str, content_type: str) -> FileResponse:
    """A stored file as a download (never shown inline), under a name and type from
    safe_file_name() and served_content_type()."""
    response = FileResponse(file, as_attachment=True, filename=safe_file_name(name, content_type),
                            content_type=served_content_type(content_type))
    response["X-Content-Type-Options"] = "nosniff"
    return response
