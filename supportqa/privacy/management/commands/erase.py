from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.privacy.erasure import ErasureError, customers_matching, erase


class Command(BaseCommand):
    help = (
        "Erase a customer's personal data everywhere (right to erasure): `erase --customer ID` "
        "or `erase --email ADDRESS`; it asks for confirmation unless --yes. Counts, scores and "
        "links stay; the erasure is audited. See docs/privacy.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", default="", help="the customer's help-desk id")
        parser.add_argument("--email", default="", help="the customer's e-mail address")
        parser.add_argument("--source", default="", help="with --customer: the id's source")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            customers = customers_matching(
                customer_id=options["customer"], email=options["email"], source=options["source"]
            )
            if not customers:
                raise ErasureError("no customer with that id or address")
            if not options["yes"]:
                answer = input(f"Erase the personal data of {len(customers)} customer(s)? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    raise CommandError("nothing erased")
            erased = erase(customers=customers, by=None)
        except ErasureError as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"Erased: {erased.customers} customer(s), {erased.conversations} conversation(s), "
            f"{erased.messages} message(s), {erased.survey_answers} survey answer(s), "
            f"{erased.mails} mail(s), {erased.posts} post(s), {erased.archive_bodies} archive "
            f"bodies; {erased.swept} other row(s) swept"
        )
