"""Sets every timestamp in a staticx binary's bundled archive to SOURCE_DATE_EPOCH.

    python build/pin_staticx_mtimes.py BINARY

staticx stores its bundle as an uncompressed tar in the ELF section
`.staticx.archive`, and two of its members (the wrapped program and a helper
library staticx compiles) carry the time of the build. That is the only
difference between two builds of one commit; this rewrites the `mtime` field
of each tar header in place (same length, checksum recomputed), so the build
is reproducible. The bootloader does not read the timestamps.
"""

from __future__ import annotations

import os
import sys

from elftools.elf.elffile import ELFFile

ARCHIVE_SECTION = ".staticx.archive"
BLOCK = 512
_MTIME = slice(136, 148)
_CHECKSUM = slice(148, 156)
_SIZE = slice(124, 136)


def archive_span(path: str) -> tuple[int, int]:
    """File offset and size of the bundled tar archive."""
    with open(path, "rb") as stream:
        section = ELFFile(stream).get_section_by_name(ARCHIVE_SECTION)
        if section is None:
            raise SystemExit(f"{path} has no {ARCHIVE_SECTION} section; is it a staticx binary?")
        return section["sh_offset"], section["sh_size"]


def pin_mtimes(archive: bytearray, epoch: int) -> int:
    """Rewrite each header's mtime to `epoch`; return how many headers were changed."""
    changed = 0
    offset = 0
    while offset + BLOCK <= len(archive):
        header = archive[offset : offset + BLOCK]
        if header == bytes(BLOCK):
            break  # the end-of-archive blocks
        header[_MTIME] = b"%011o\0" % epoch
        header[_CHECKSUM] = b" " * 8
        header[_CHECKSUM] = b"%06o\0 " % sum(header)
        if header != archive[offset : offset + BLOCK]:
            changed += 1
        archive[offset : offset + BLOCK] = header

        size = int(header[_SIZE].rstrip(b"\0 ") or b"0", 8)
        offset += BLOCK + (size + BLOCK - 1) // BLOCK * BLOCK
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    epoch = int(os.environ["SOURCE_DATE_EPOCH"])

    start, size = archive_span(path)
    with open(path, "r+b") as stream:
        stream.seek(start)
        archive = bytearray(stream.read(size))
        changed = pin_mtimes(archive, epoch)
        stream.seek(start)
        stream.write(archive)
    print(f"pinned {changed} archive timestamps to {epoch}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
