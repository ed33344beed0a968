"""PyInstaller's entry script: the frozen binary runs the same `main` as the console script.

Before that it tidies what one-file mode leaves around a run (see
`frozen_runtime`): the library path meant for the bundle only, and unpack
folders of earlier runs that were killed.
"""

import gc

# Importing botocore creates some hundred thousand objects that all live until
# exit; cyclic collection while they are made only costs start-up time (about
# a tenth of the imports). Collection resumes, with those objects set aside,
# once the imports are done.
gc.disable()

import frozen_runtime  # noqa: E402

frozen_runtime.prepare()

from helper.cli import main  # noqa: E402  (prepare() must run first)

gc.freeze()
gc.enable()

raise SystemExit(main())
