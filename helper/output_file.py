"""The client's cache file (`output_file`): written whole or not at all, and only if it is ours.

A reader, which may be another client process, must never see a partial file:
Node and Go refuse to run the helper again while the cached file is malformed.
So the response goes to a temporary file in the same folder, is flushed to
disk, and replaces the old file with one `rename`. A failed run leaves the old
file as it was; a run killed while writing leaves only its temporary file,
which the next run removes (`remove_abandoned_temporary_files`).

The client trusts whatever the file holds, and so does the helper when it
reuses a response. So the helper reads, replaces or removes an output file
only when it is a regular file owned by this user and not writable by every
user, in a folder that does not let every user replace it. A symbolic link
(which would make it read another file), a folder or a device, another user's
file, a world-writable file and a world-writable folder without the sticky bit
are refused with `OUTPUT_FILE_ERROR`, saying why.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile

from helper.errors import ErrorCode, HelperError

__all__ = [
    "check_output_file",
    "make_private_folders",
    "read_output_file",
    "remove_abandoned_temporary_files",
    "remove_output_file",
    "replace_file",
    "shown_path",
    "temporary_file_prefix",
    "write_output_file",
]

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# A response is about 2 KB; a bigger file is not one the helper wrote.
MAX_OUTPUT_FILE_BYTES = 64 * 1024

_TEMPORARY_SUFFIX = ".tmp"
_SHOWN_PATH_CHARACTERS = 200


def check_output_file(path: str) -> None:
    """Raise `OUTPUT_FILE_ERROR` unless `path` is missing or a file the helper may replace.

    Its folder must not let every user rename files in it: in a world-writable
    folder without the sticky bit, anyone could swap the response for another
    after the helper wrote it.
    """
    folder = os.path.dirname(os.path.abspath(path))
    with contextlib.suppress(OSError):  # a missing folder is created 0700 later
        if _open_to_everyone(os.stat(folder)):
            raise HelperError(
                ErrorCode.OUTPUT_FILE_ERROR,
                f"The output file {shown_path(path)} is in the folder {shown_path(folder)}, which "
                "every user can write and which has no sticky bit, so anyone could swap the "
                "response; point output_file into a folder only this user can write (or "
                "`chmod o-w` or `chmod +t` that folder).",
            )

    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise _output_file_error(path, f"cannot be inspected ({_reason(error)})") from None

    refusal = _refusal(status)
    if refusal:
        raise _not_ours_error(path, refusal)


def read_output_file(path: str) -> str | None:
    """The text of the output file; None when it is missing or cannot be a response.

    Raises `OUTPUT_FILE_ERROR` when the file is there but is not the helper's
    to read (see the module's docstring). A FIFO or device is never opened for
    reading in a way that could block.
    """
    check_output_file(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None

    with os.fdopen(descriptor, "rb") as stream:
        refusal = _refusal(os.fstat(stream.fileno()))
        if refusal:  # replaced between the check and the open
            raise _not_ours_error(path, refusal)
        data = stream.read(MAX_OUTPUT_FILE_BYTES + 1)

    if len(data) > MAX_OUTPUT_FILE_BYTES:
        return None
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        return None


def write_output_file(path: str, text: str) -> None:
    """Atomically replace `path` with `text`, mode 0600, creating its folder 0700.

    Refuses (OUTPUT_FILE_ERROR) a file that is not the helper's to replace.
    """
    check_output_file(path)
    try:
        replace_file(path, text)
    except OSError as error:
        raise _output_file_error(path, f"cannot be written ({_reason(error)})") from None


def remove_abandoned_temporary_files(path: str) -> None:
    """Remove what runs killed while writing `path` left behind.

    Only runs holding the lock beside `path` write it, so a caller that holds
    that lock knows every temporary file of `path` belongs to a dead run.
    Temporary files of other output files in the same folder have other names.
    """
    folder = os.path.dirname(os.path.abspath(path))
    prefix = temporary_file_prefix(path)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(_TEMPORARY_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def temporary_file_prefix(path: str) -> str:
    """How the names of `path`'s temporary files start, the same in every run."""
    name = os.path.basename(path).encode("utf-8", "surrogateescape")
    return f".aws-wif-helper-{hashlib.sha256(name).hexdigest()[:16]}-"


def shown_path(path: str) -> str:
    """`path` quoted for a message, its middle left out when it is very long."""
    if len(path) > _SHOWN_PATH_CHARACTERS:
        half = _SHOWN_PATH_CHARACTERS // 2
        path = path[:half] + "..." + path[-half:]
    return repr(path)


def replace_file(path: str, text: str) -> None:
    """Atomically replace `path` with ASCII `text`, mode 0600, creating its folders 0700.

    Raises OSError; also used for the credential config `create-config` writes.
    """
    folder = os.path.dirname(os.path.abspath(path))
    make_private_folders(folder)
    if os.path.isdir(path):
        raise IsADirectoryError(path)

    descriptor, temporary = tempfile.mkstemp(
        prefix=temporary_file_prefix(path), suffix=_TEMPORARY_SUFFIX, dir=folder
    )
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
    check_output_file(path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise HelperError(
            ErrorCode.OUTPUT_FILE_ERROR,
            f"Cannot remove the output file {shown_path(path)} ({_reason(error)}); delete it by "
            "hand.",
        ) from None


def _sync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _refusal(status: os.stat_result) -> str | None:
    """Why the helper must not read or replace a file with this `lstat`, or None."""
    if stat.S_ISLNK(status.st_mode):
        return (
            "is a symbolic link, which the helper does not follow: it could make the helper "
            "read or replace another file"
        )
    if stat.S_ISDIR(status.st_mode):
        return "is a folder"
    if not stat.S_ISREG(status.st_mode):
        return "is not a regular file"
    if status.st_uid != os.geteuid():
        return (
            f"belongs to user id {status.st_uid}, not to this user (id {os.geteuid()}): "
            "its owner could put any response in it"
        )
    if status.st_mode & stat.S_IWOTH:
        return "is writable by every user, so anyone could have put a response in it"
    return None


def _open_to_everyone(folder: os.stat_result) -> bool:
    """A folder every user may write, without the sticky bit that keeps them off others' files."""
    return bool(folder.st_mode & stat.S_IWOTH) and not folder.st_mode & stat.S_ISVTX


def _not_ours_error(path: str, refusal: str) -> HelperError:
    return HelperError(
        ErrorCode.OUTPUT_FILE_ERROR,
        f"The output file {shown_path(path)} {refusal}; the helper neither reads nor replaces "
        "it. Remove it, or point output_file at a path this user owns.",
    )


def _output_file_error(path: str, problem: str) -> HelperError:
    return HelperError(
        ErrorCode.OUTPUT_FILE_ERROR,
        f"The output file {shown_path(path)} {problem}; point output_file at a file in a folder "
        "this user can write, or remove it from the config.",
    )


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
