"""``python -m groupaudit.cli``."""

from groupaudit.cli import main

raise SystemExit(main())
