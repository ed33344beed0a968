"""The output file: written whole with mode 0600, kept on failure, removed on revocation."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from helper.errors import ErrorCode, HelperError
from helper.output_file import remove_output_file, write_output_file
from helper.protocol import answer
from tests.harness import client_variables
from tests.standins.aws_keys import LONG_TERM_KEY

OLD_RESPONSE = json.dumps(
    {
        "version": 1,
        "success": True,
        "token_type": "urn:ietf:params:oauth:token-type:jwt",
        "id_token": "old",
        "expiration_time": 1_000_000_000,
    }
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder for the output file, apart from the test's other files."""
    path = tmp_path / "output"
    path.mkdir()
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_output_file_is_written_with_mode_0600(folder: Path) -> None:
    path = folder / "response.json"

    write_output_file(str(path), '{"version": 1}\n')

    assert path.read_text() == '{"version": 1}\n'
    assert mode_of(path) == 0o600


def test_output_file_is_0600_whatever_the_umask(folder: Path) -> None:
    path = folder / "response.json"
    previous = os.umask(0)
    try:
        write_output_file(str(path), "{}\n")
    finally:
        os.umask(previous)

    assert mode_of(path) == 0o600


def test_missing_parent_folders_are_created_0700(folder: Path) -> None:
    path = folder / "cache" / "aws-wif-helper" / "response.json"

    write_output_file(str(path), "{}\n")

    assert mode_of(path.parent) == 0o700
    assert mode_of(path.parent.parent) == 0o700


def test_an_existing_file_is_replaced_by_rename_not_rewritten(folder: Path) -> None:
    path = folder / "response.json"
    path.write_text(OLD_RESPONSE)
    old_inode = path.stat().st_ino
    with path.open() as reader_holding_the_old_file:
        write_output_file(str(path), '{"new": true}\n')

        assert reader_holding_the_old_file.read() == OLD_RESPONSE
    assert path.read_text() == '{"new": true}\n'
    assert path.stat().st_ino != old_inode


def test_no_temporary_file_is_left_beside_the_output_file(folder: Path) -> None:
    path = folder / "response.json"

    write_output_file(str(path), "{}\n")

    assert sorted(item.name for item in folder.iterdir()) == ["response.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = folder / "response.json"
    path.write_text(OLD_RESPONSE)

    def fail_to_rename(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail_to_rename)
    with pytest.raises(HelperError) as raised:
        write_output_file(str(path), '{"new": true}\n')

    assert raised.value.code is ErrorCode.OUTPUT_FILE_ERROR
    assert path.read_text() == OLD_RESPONSE
    assert sorted(item.name for item in folder.iterdir()) == ["response.json"]


def test_a_folder_in_place_of_the_file_is_an_output_file_error(folder: Path) -> None:
    path = folder / "response.json"
    path.mkdir()

    with pytest.raises(HelperError) as raised:
        write_output_file(str(path), "{}\n")

    assert raised.value.code is ErrorCode.OUTPUT_FILE_ERROR
    assert "output_file" in raised.value.message


def test_a_failed_run_leaves_the_old_output_file_untouched(folder: Path) -> None:
    path = folder / "response.json"
    path.write_text(OLD_RESPONSE)
    before = path.stat()

    response = answer([], client_variables(output_file=path))

    assert response["code"] == "AWS_CREDENTIALS_NOT_FOUND"
    assert path.read_text() == OLD_RESPONSE
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def test_a_successful_run_writes_its_response_to_the_output_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = folder / "cache" / "response.json"
    for name, value in LONG_TERM_KEY.environment().items():
        monkeypatch.setenv(name, value)

    response = answer([], client_variables(output_file=path))

    assert response["success"] is True
    assert json.loads(path.read_text()) == response


def test_revocation_removes_the_output_file(folder: Path) -> None:
    path = folder / "response.json"
    path.write_text(OLD_RESPONSE)

    response = answer([], client_variables(output_file=path, REVOKE="1"))

    assert response == {"version": 1, "success": True}
    assert not path.exists()


def test_revocation_of_a_missing_output_file_succeeds(folder: Path) -> None:
    response = answer([], client_variables(output_file=folder / "never-written.json", REVOKE="1"))

    assert response == {"version": 1, "success": True}


def test_removing_a_missing_output_file_is_not_an_error(folder: Path) -> None:
    remove_output_file(str(folder / "never-written.json"))
