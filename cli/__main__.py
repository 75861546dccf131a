"""`python -m cli ...`: the same as the `dsar` command, for processes started by path-free code."""

from cli import main

main()
