"""The `parcours` command: Django's management commands with Parcours' settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parcours.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["parcours", *sys.argv[1:]])


if __name__ == "__main__":
    main()
