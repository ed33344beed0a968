"""Join the launcher and the bundle into dist/aws-wif-helper (build/launcher/launcher.c).

    python build/attach_bundle.py LAUNCHER BUNDLE OUTPUT

The output is the launcher, the bundle, then a 32-byte trailer: the marker
`AWSWIFH2`, the bundle's offset as 8 bytes, little-endian, and the first 16
bytes of the bundle's SHA-256, which name the build. The launcher reads the
trailer from the end of its own file to find the bundle, and names the copy
it keeps after the build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import sys

TRAILER_MAGIC = b"AWSWIFH2"
BUILD_ID_BYTES = 16


def attach(launcher: str, bundle: str, output: str) -> None:
    """Write `output`, mode 0755, replacing any file there."""
    temporary = output + ".partial"
    with open(bundle, "rb") as source:
        build = hashlib.file_digest(source, "sha256").digest()[:BUILD_ID_BYTES]
    with open(temporary, "wb") as target:
        for part in (launcher, bundle):
            with open(part, "rb") as source:
                if part == bundle:
                    offset = target.tell()
                shutil.copyfileobj(source, target)
        target.write(TRAILER_MAGIC + struct.pack("<Q", offset) + build)
    os.chmod(temporary, 0o755)
    os.replace(temporary, output)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    attach(*sys.argv[1:])
