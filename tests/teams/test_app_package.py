"""The Teams app package: a manifest Microsoft's schema accepts, with our ids, host and commands, and the
two icons Teams requires, at the root of a zip that is the same bytes every time."""

import io
import json
import zipfile

import pytest
from PIL import Image

from handlers.teams.app_package.package import HERE, SCHEMA, build_package, fill, manifest_problems, png_size

APP_ID = "0f8e2d4c-6b1a-4f3e-8d2c-5a6b7c8d9e0f"
BOT_ID = "7a6b5c4d-3e2f-4a1b-9c8d-0e1f2a3b4c5d"
HOST = "panel.example.gov.uk"
COMMANDS = ["submit", "book", "agenda", "decide", "visits", "away", "report", "help"]


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path, app_id=APP_ID, bot_id=BOT_ID, host=HOST, version="1.2.3")


def read(package):
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_holds_the_manifest_and_both_icons_at_its_root(package, tmp_path):
    assert package == tmp_path / "panelbot-teams-1.2.3.zip"
    assert sorted(read(package)) == ["color.png", "manifest.json", "outline.png"]


def test_the_manifest_carries_our_ids_host_and_version(package):
    manifest = json.loads(read(package)["manifest.json"])
    assert manifest["id"] == APP_ID and manifest["version"] == "1.2.3"
    [bot] = manifest["bots"]
    assert bot["botId"] == BOT_ID and sorted(bot["scopes"]) == ["personal", "team"]
    assert manifest["validDomains"] == [HOST]
    assert all(url.startswith(f"https://{HOST}/") for url in manifest["developer"].values() if "://" in url)
    assert "{{" not in json.dumps(manifest)


def test_the_manifest_meets_microsofts_schema(package):
    manifest = json.loads(read(package)["manifest.json"])
    assert manifest_problems(manifest) == []
    schema = json.loads(SCHEMA.read_text())
    assert manifest["manifestVersion"] == schema["properties"]["manifestVersion"]["const"]
    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")


def test_the_schema_check_is_not_a_rubber_stamp(package):
    manifest = json.loads(read(package)["manifest.json"])
    assert manifest_problems({**manifest, "manifestVersion": "1.29"})
    assert manifest_problems({**manifest, "id": "not-a-guid"})
    assert manifest_problems({**manifest, "accentColor": "navy"})
    assert manifest_problems({k: v for k, v in manifest.items() if k != "icons"})
    assert manifest_problems({**manifest, "name": {"short": "x" * 31}})
    assert manifest_problems({**manifest, "surprise": True})


def test_people_see_all_eight_commands_in_their_chat_and_fewer_in_channels(package):
    [bot] = json.loads(read(package)["manifest.json"])["bots"]
    lists = {tuple(entry["scopes"]): entry["commands"] for entry in bot["commandLists"]}
    assert [command["title"] for command in lists[("personal",)]] == COMMANDS
    # In a channel everyone sees the answer: only the commands whose answers carry references and dates.
    assert [command["title"] for command in lists[("team",)]] == ["book", "agenda", "help"]
    for command in lists[("personal",)] + lists[("team",)]:
        assert 0 < len(command["description"]) <= 128 and len(command["title"]) <= 32  # Teams' limits


def test_the_icons_are_the_sizes_teams_requires_and_the_outline_is_white_on_transparent(package):
    files = read(package)
    color, outline = Image.open(io.BytesIO(files["color.png"])), Image.open(io.BytesIO(files["outline.png"]))
    assert color.format == outline.format == "PNG"
    assert color.size == (192, 192) and outline.size == (32, 32)
    assert outline.mode == "RGBA"
    raw = outline.tobytes()
    pixels = [tuple(raw[i:i + 4]) for i in range(0, len(raw), 4)]
    assert all((r, g, b) == (255, 255, 255) for r, g, b, alpha in pixels if alpha)
    assert any(alpha == 255 for *_, alpha in pixels) and any(alpha == 0 for *_, alpha in pixels)
    assert files["color.png"] == (HERE / "color.png").read_bytes()


def test_the_same_arguments_give_the_same_bytes(tmp_path):
    first = build_package(tmp_path / "a", app_id=APP_ID, bot_id=BOT_ID, host=HOST, version="1.0.0").read_bytes()
    second = build_package(tmp_path / "b", app_id=APP_ID, bot_id=BOT_ID, host=HOST, version="1.0.0").read_bytes()
    assert first == second


@pytest.mark.parametrize(("argument", "value"), [
    ("app_id", "panelbot"), ("bot_id", "28:" + BOT_ID), ("host", "https://panel.example.gov.uk"),
    ("host", "panel.example.gov.uk/api/messages"), ("host", "localhost"), ("version", "1.0"),
    ("version", "v1.0.0"), ("version", "1.0.0-beta"),
])
def test_a_bad_argument_is_named_and_nothing_is_written(tmp_path, argument, value):
    arguments = {"app_id": APP_ID, "bot_id": BOT_ID, "host": HOST, "version": "1.0.0", argument: value}
    with pytest.raises(ValueError, match=argument):
        build_package(tmp_path / "out", **arguments)
    assert not (tmp_path / "out").exists()


def test_placeholders_are_filled_inside_strings_only():
    filled = fill({"url": "https://{{HOST}}/privacy", "list": ["{{HOST}}"], "n": 1}, {"{{HOST}}": '"x'})
    assert filled == {"url": 'https://"x/privacy', "list": ['"x'], "n": 1}
    with pytest.raises(ValueError, match="placeholder"):
        fill({"id": "{{APP_ID}}"}, {"{{HOST}}": HOST})


def test_png_size_reads_the_header_and_refuses_what_is_not_a_png():
    assert png_size((HERE / "outline.png").read_bytes()) == (32, 32)
    assert png_size(b"GIF89a" + bytes(30)) is None
