"""`python -m helper` runs the same entry point as the `aws-wif-helper` script."""

from helper.cli import main

raise SystemExit(main())
