"""The ``saferstaff`` command: Django's management commands with saferstaff's settings, reading the same
environment (DATABASE_URL, MEDIA_ROOT, …) as the web server and the worker."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferstaff.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["saferstaff", *sys.argv[1:]])


if __name__ == "__main__":
    main()
