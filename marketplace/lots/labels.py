"""QR codes for crate labels (segno: pure Python, SVG out)."""

import io

import segno


def qr_svg(url: str, *, scale: int = 4, xmldecl: bool = True) -> bytes:
    """An SVG QR code of ``url`` (error correction M survives a scuffed crate label);
    ``xmldecl=False`` for an SVG placed inside an HTML page."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=scale, border=2, xmldecl=xmldecl
    )
    return out.getvalue()
