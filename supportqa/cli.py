"""The `supportqa` command: Django's management commands with SupportQA's settings.

`supportqa help` lists every command. SupportQA's own: `import`, `export`, `demo`, `stats`,
`sample`, `assignments`, `autoqa`, `classify`, `archive`, `report`, `coaching`, `shifts`,
`surveys`, `social`, `zendesk`, `twofactor`, `control`, `erase`, `retention`, `redact`,
`backup`, `restore`, `audit_verify` and `serve`; `migrate`, `createsuperuser` and
`runserver` come from Django."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportqa.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["supportqa", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
