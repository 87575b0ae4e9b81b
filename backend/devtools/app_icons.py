"""Draw the installed app's icons (PNG) into notifications/static/notifications/icons/.

Run once after changing the drawing (``python -m devtools.app_icons`` from ``backend/``)
and commit the files: the server only serves them. A white speech bubble with three
dots on the pages' accent blue: a rounded square for the ``any`` icons, and a full
square with the bubble inside the safe zone (a circle of 40 % of the width around the
middle) for the ``maskable`` one, which launchers cut to their own shape.
"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw

BACKEND_DIR = Path(__file__).resolve().parent.parent
ICONS_DIR = BACKEND_DIR / "notifications" / "static" / "notifications" / "icons"
ACCENT = (36, 95, 209, 255)  # chat.css --accent (light)
WHITE = (255, 255, 255, 255)
OVERSAMPLE = 4  # drawn this many times larger, then scaled down: smooth edges

# name -> (size in pixels, maskable)
ICONS = {
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "icon-maskable-512.png": (512, True),
}


def _bubble(draw: ImageDraw.ImageDraw, size: int, scale: float) -> None:
    """The bubble, its tail and its dots, ``scale`` of the width across, centred."""
    width, height = size * scale, size * scale * 0.72
    left, top = (size - width) / 2, (size - height) / 2 - size * scale * 0.06
    right, bottom = left + width, top + height
    draw.rounded_rectangle((left, top, right, bottom), radius=height * 0.32, fill=WHITE)
    tail_x = left + width * 0.22
    draw.polygon(
        [
            (tail_x, bottom - 1),
            (tail_x + width * 0.2, bottom - 1),
            (tail_x - width * 0.06, bottom + height * 0.3),
        ],
        fill=WHITE,
    )
    dot = width * 0.07
    middle_y = (top + bottom) / 2
    for share in (0.3, 0.5, 0.7):
        x = left + width * share
        draw.ellipse((x - dot, middle_y - dot, x + dot, middle_y + dot), fill=ACCENT)


def icon(size: int, *, maskable: bool) -> Image.Image:
    """One icon, ``size`` pixels square."""
    big = size * OVERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=ACCENT)
        _bubble(draw, big, scale=0.5)  # inside the safe zone's circle
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=ACCENT)
        _bubble(draw, big, scale=0.62)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(folder: Path = ICONS_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (size, maskable) in ICONS.items():
        path = folder / name
        icon(size, maskable=maskable).save(path, optimize=True)
        written.append(path)
    return written


def main() -> int:
    for path in write_icons():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
