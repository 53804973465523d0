"""What an uploaded file really is, judged from its bytes, never from its name. Pure."""

import filetype

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
