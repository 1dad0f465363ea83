"""The Teams app package a council uploads to its Teams admin centre (or Developer Portal).

`build_package(out, app_id=..., bot_id=..., host=..., version=...)` fills the ids, the host and the
version into `manifest.json` (the template beside this file), checks the result against Microsoft's
manifest schema (vendored in `schema/`, see its README) and writes `out/panelbot-teams-<version>.zip`
with `manifest.json`, `color.png` and `outline.png` at its root, byte-for-byte the same for the same
arguments. The manifest asks for no `webApplicationInfo`: panelbot has no tab and no single sign-on,
and identifies people by the ids Teams puts on each activity.

The icons are committed; `draw_icons(folder)` drew them (Pillow) and draws them again if the design
changes: `python -m handlers.teams.app_package.package --draw-icons`.

From the command line: `python -m handlers.teams.app_package.package OUT --app-id GUID --bot-id GUID
--host panel.example.gov.uk --version 1.0.0`.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "manifest.json"
SCHEMA = HERE / "schema" / "MicrosoftTeams.schema.json"
ICONS = {"color.png": 192, "outline.png": 32}  # file -> the square size Teams requires
ACCENT = (0x1D, 0x35, 0x57)  # the manifest's accentColor, and the Slack app's background colour
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HOST = re.compile(r"(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE)
_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")  # Teams: MAJOR.MINOR.PATCH
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed time in the zip, so the same input gives the same bytes


def build_package(out: Path, *, app_id: str, bot_id: str, host: str, version: str) -> Path:
    """Write the app package into the folder `out` (made if missing) and return the zip's path.

    `app_id` is the Teams app's id and `bot_id` the bot's Microsoft app id (both GUIDs; often the
    same), `host` the public host name panelbot's /api/messages is served on (no scheme, no path),
    `version` the app's MAJOR.MINOR.PATCH, raised for every upload. ValueError names a bad argument.
    """
    for name, value, pattern in (("app_id", app_id, _GUID), ("bot_id", bot_id, _GUID), ("host", host, _HOST),
                                 ("version", version, _VERSION)):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"{name} is not valid: {value!r}")
    manifest = fill(json.loads(TEMPLATE.read_text(encoding="utf-8")),
                    {"{{APP_ID}}": app_id, "{{BOT_ID}}": bot_id, "{{HOST}}": host.lower(), "{{VERSION}}": version})
    problems = manifest_problems(manifest)
    if problems:
        raise ValueError("the manifest does not meet Microsoft's schema: " + "; ".join(problems))
    icons = {name: (HERE / name).read_bytes() for name in ICONS}
    for name, data in icons.items():
        if png_size(data) != (ICONS[name], ICONS[name]):
            raise ValueError(f"{name} is not a {ICONS[name]}x{ICONS[name]} PNG")

    out.mkdir(parents=True, exist_ok=True)
    target = out / f"panelbot-teams-{version}.zip"
    files = {"manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(), **icons}
    with zipfile.ZipFile(target, "w") as package:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            package.writestr(entry, data)
    return target


def fill(value: Any, placeholders: dict[str, str]) -> Any:
    """The template with each placeholder replaced inside its strings (never in the JSON around them)."""
    if isinstance(value, dict):
        return {key: fill(item, placeholders) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, placeholders) for item in value]
    if isinstance(value, str):
        for placeholder, text in placeholders.items():
            value = value.replace(placeholder, text)
        if "{{" in value:
            raise ValueError(f"the manifest template has a placeholder nobody fills: {value!r}")
    return value


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """What is wrong with a manifest by Microsoft's schema (draft-04, plus the `const` it also uses)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.extend(
        jsonschema.Draft4Validator, {"const": jsonschema.Draft6Validator.VALIDATORS["const"]})
    validator = validator_class(schema)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))]


def png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its header, or None if `data` is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def draw_icons(folder: Path = HERE) -> None:
    """Draw color.png (192x192, white on the accent colour) and outline.png (32x32, white on
    transparent, as Teams requires): a case file with a tick. Drawn four times larger, then reduced."""
    from PIL import Image, ImageDraw

    def shape(size: int, *, outline: bool) -> Image.Image:
        scale = 4
        big = size * scale
        mask = Image.new("L", (big, big), 0)
        pen = ImageDraw.Draw(mask)
        unit = big / 32  # the design is laid out on a 32x32 grid
        page = [7 * unit, 4 * unit, 25 * unit, 28 * unit]
        if outline:
            pen.rounded_rectangle(page, radius=2.5 * unit, outline=255, width=round(2 * unit))
        else:
            pen.rounded_rectangle(page, radius=2.5 * unit, fill=255)
        lines = 255 if outline else 0
        for top in (9, 13):
            pen.rounded_rectangle([11 * unit, top * unit, 21 * unit, (top + 1.6) * unit], radius=0.8 * unit,
                                  fill=lines)
        pen.line([(11 * unit, 20 * unit), (14.5 * unit, 23.5 * unit), (21 * unit, 16.5 * unit)], fill=lines,
                 width=round(2.4 * unit), joint="curve")
        return mask.resize((size, size), Image.Resampling.LANCZOS)

    color = Image.new("RGB", (ICONS["color.png"],) * 2, ACCENT)
    white = Image.new("RGB", color.size, (255, 255, 255))
    color.paste(white, (0, 0), shape(ICONS["color.png"], outline=False))
    _save_png(color, folder / "color.png")

    outline = Image.new("RGBA", (ICONS["outline.png"],) * 2, (255, 255, 255, 0))
    outline.putalpha(shape(ICONS["outline.png"], outline=True))
    _save_png(outline, folder / "outline.png")


def _save_png(image: Any, path: Path) -> None:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    path.write_bytes(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m handlers.teams.app_package.package",
                                     description="Build the Teams app package (or draw its icons again).")
    parser.add_argument("out", nargs="?", type=Path, help="folder to write panelbot-teams-<version>.zip into")
    parser.add_argument("--app-id")
    parser.add_argument("--bot-id")
    parser.add_argument("--host")
    parser.add_argument("--version")
    parser.add_argument("--draw-icons", action="store_true", help="draw color.png and outline.png again")
    args = parser.parse_args(argv)
    if args.draw_icons:
        draw_icons()
        return
    if args.out is None or not all((args.app_id, args.bot_id, args.host, args.version)):
        parser.error("OUT, --app-id, --bot-id, --host and --version are all needed")
    print(build_package(args.out, app_id=args.app_id, bot_id=args.bot_id, host=args.host, version=args.version))


if __name__ == "__main__":
    main()
