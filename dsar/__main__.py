"""`python -m dsar ...`: the same as the `dsar` command, for processes started by path-free code."""

from dsar.cli import main

main()
