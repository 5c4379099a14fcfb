"""`python -m iro_analysis` runs the command-line interface."""

from iro_analysis.cli import main

raise SystemExit(main())
