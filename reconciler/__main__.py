"""``python -m reconciler`` runs the command line."""

from reconciler.cli.main import main

if __name__ == "__main__":
    main()
