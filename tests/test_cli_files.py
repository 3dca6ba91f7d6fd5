"""A file a command cannot read or write is one clear line naming it, and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import BASE_CONFIG, brandbot, replay_source, write_config


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding a few posts."""
    folder = tmp_path_factory.mktemp("files")
    feed = folder / "posts.jsonl"
    feed.write_text("".join(json.dumps({
        "platform": "x", "id": str(i), "author": "dana", "created_at": "2026-11-18T07:00:00Z",
        "text": f"@BrightwaveHelp my brightwave bill is wrong again, refund please ({i})"})
        + "\n" for i in range(3)))
    path = write_config(folder, BASE_CONFIG + replay_source(feed))
    result = brandbot("--config", str(path), "run", "--once", "--no-web")
    assert result.returncode == 0, result.stderr
    return path


def _one_line_error(result: object, *needles: str) -> None:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 1, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("error: cannot ")
    for needle in needles:
        assert needle in line, line


def test_backup_into_a_folder_that_does_not_exist(config: Path, tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.db"
    result = brandbot("--config", str(config), "db", "backup", str(target))
    _one_line_error(result, str(target), f"the folder {target.parent} does not exist")
    assert not target.parent.exists()


def test_backup_under_a_file(config: Path, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    target = tmp_path / "plain" / "x.db"
    result = brandbot("--config", str(config), "db", "backup", str(target))
    _one_line_error(result, str(target), "not a folder")


@pytest.mark.parametrize("command", [
    ["export", "--what", "mentions"],
    ["export", "--what", "cases", "--format", "csv"],
    ["digest"],
])
def test_output_into_a_folder_that_does_not_exist(config: Path, tmp_path: Path,
                                                  command: list[str]) -> None:
    target = tmp_path / "nowhere" / "out.txt"
    result = brandbot("--config", str(config), *command, "-o", str(target))
    _one_line_error(result, str(target), "does not exist")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_export_to_a_full_disk(config: Path) -> None:
    result = brandbot("--config", str(config), "export", "--what", "mentions", "-o", "/dev/full")
    _one_line_error(result, "cannot write /dev/full: No space left on device")


def test_analyze_a_file_that_is_not_there(config: Path, tmp_path: Path) -> None:
    missing = tmp_path / "posts.txt"
    result = brandbot("--config", str(config), "analyze", "--file", str(missing))
    _one_line_error(result, f"cannot read {missing}")


def test_store_copy_from_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    result = brandbot("store", "copy", "--from", f"sqlite:///{text}",
                      "--to", f"sqlite:///{tmp_path / 'copy.db'}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{text}: file is not a database" in result.stderr
