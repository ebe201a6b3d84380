"""The command line: thin commands that parse options, call ``reconciler.api``, render, exit."""
