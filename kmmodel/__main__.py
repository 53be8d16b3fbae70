"""``python -m kmmodel`` runs the command-line interface."""

from kmmodel.cli import main

raise SystemExit(main())
