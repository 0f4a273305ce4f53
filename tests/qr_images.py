"""Read back the QR codes the app draws: segno's SVG (rows of horizontal strokes, one module high)
rasterised to a grey image and decoded by zxing-cpp, an independent QR reader."""

from __future__ import annotations

import re

import zxingcpp

_PATH = re.compile(r'<path[^>]*transform="scale\((\d+)\)"[^>]*\sd="([^"]+)"')
_STEP = re.compile(r"([MmHh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?")
PIXELS_PER_MODULE = 4


def decode_svg(svg: str) -> list[str]:
    """The texts of the QR codes in ``svg`` (segno's output, inline or as a file)."""
    found = _PATH.search(svg)
    assert found, "no segno path in the SVG"
    scale = int(found.group(1))
    svg_tag = svg[svg.rindex("<svg", 0, found.start()) :]
    size = int(re.search(r'width="(\d+)"', svg_tag).group(1)) // scale
    grid = [[255] * size for _ in range(size)]
    x = y = 0.0
    for command, a, b in _STEP.findall(found.group(2)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a dark run of modules on row y
            for i in range(round(float(a))):
                grid[int(y)][int(x) + i] = 0
            x += float(a)
    raster = bytearray()
    for row in grid:
        line = b"".join(bytes([value]) * PIXELS_PER_MODULE for value in row)
        raster += line * PIXELS_PER_MODULE
    side = size * PIXELS_PER_MODULE
    image = memoryview(bytes(raster)).cast("B", shape=[side, side])
    return [result.text for result in zxingcpp.read_barcodes(image)]
