"""PyInstaller's entry script: the frozen binary runs the same `main` as the console script."""

from helper.cli import main

raise SystemExit(main())
