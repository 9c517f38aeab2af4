"""`python -m geminiteacher`: the command line."""

from geminiteacher.cli import main

raise SystemExit(main())
