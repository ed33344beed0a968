"""Join the launcher and the bundle into dist/aws-wif-helper (build/launcher/launcher.c).

    python build/attach_bundle.py LAUNCHER BUNDLE OUTPUT

The output is the launcher, the bundle, then a 16-byte trailer: the marker
`AWSWIFH1` and the bundle's offset as 8 bytes, little-endian. The launcher
reads the trailer from the end of its own file to find the bundle.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys

TRAILER_MAGIC = b"AWSWIFH1"


def attach(launcher: str, bundle: str, output: str) -> None:
    """Write `output`, mode 0755, replacing any file there."""
    temporary = output + ".partial"
    with open(temporary, "wb") as target:
        for part in (launcher, bundle):
            with open(part, "rb") as source:
                if part == bundle:
                    offset = target.tell()
                shutil.copyfileobj(source, target)
        target.write(TRAILER_MAGIC + struct.pack("<Q", offset))
    os.chmod(temporary, 0o755)
    os.replace(temporary, output)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    attach(*sys.argv[1:])
