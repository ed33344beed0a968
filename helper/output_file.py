"""The client's cache file (`output_file`): written whole or not at all.

A reader, which may be another client process, must never see a partial file:
Node and Go refuse to run the helper again while the cached file is malformed.
So the response goes to a temporary file in the same folder, is flushed to
disk, and replaces the old file with one `rename`. A failed run leaves the old
file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from helper.errors import ErrorCode, HelperError

__all__ = ["make_private_folders", "remove_output_file", "replace_file", "write_output_file"]

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def write_output_file(path: str, text: str) -> None:
    """Atomically replace `path` with `text`, mode 0600, creating its folder 0700."""
    try:
        replace_file(path, text)
    except OSError as error:
        raise HelperError(
            ErrorCode.OUTPUT_FILE_ERROR,
            f"Cannot write the output file {path!r} ({error.strerror or type(error).__name__}); "
            "point output_file at a file in a folder this user can write, or remove it "
            "from the config.",
        ) from None


def replace_file(path: str, text: str) -> None:
    """Atomically replace `path` with ASCII `text`, mode 0600, creating its folders 0700.

    Raises OSError; also used for the credential config `create-config` writes.
    """
    folder = os.path.dirname(os.path.abspath(path))
    make_private_folders(folder)
    if os.path.isdir(path):
        raise IsADirectoryError(path)

    descriptor, temporary = tempfile.mkstemp(prefix=".aws-wif-helper-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

    _sync_folder(folder)


def make_private_folders(folder: str) -> None:
    """Create `folder` and any missing parent with mode 0700; leave existing ones alone.

    `os.makedirs(mode=...)` gives the mode to the last folder only, so the
    missing parents are created one by one.
    """
    parent = os.path.dirname(folder)
    if parent != folder and not os.path.isdir(parent):
        make_private_folders(parent)
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, FOLDER_MODE)


def remove_output_file(path: str) -> None:
    """Forget a cached response; a missing file is already forgotten."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise HelperError(
            ErrorCode.OUTPUT_FILE_ERROR,
            f"Cannot remove the output file {path!r} ({error.strerror}); delete it by hand.",
        ) from None


def _sync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
