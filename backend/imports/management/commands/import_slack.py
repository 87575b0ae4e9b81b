from django.core.management.base import BaseCommand, CommandError

from chat.management.paths import path_given
from imports.services import Imported, slack_import
from imports.slack import ExportRefused


class Command(BaseCommand):
    help = (
        "Import a Slack workspace export (the zip of Slack's Export data): people, "
        "channels, private channels and direct messages with their history (all or nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the export zip, such as export.zip")
        parser.add_argument(
            "--rename",
            action="append",
            default=[],
            metavar="SLACK=ROOM",
            help="import a conversation (a channel's name, or a direct message's id) as the "
            "room ROOM, such as --rename general=slack-general; may be given again",
        )

    def handle(self, *args, path, rename, **options):
        renames = {}
        for given in rename:
            slack, sign, room = given.partition("=")
            if not sign or not slack.strip() or not room.strip():
                raise CommandError(
                    f"--rename takes SLACK=ROOM (say general=slack-general), not {given!r}."
                )
            renames[slack.strip().lstrip("#")] = room.strip()
        try:
            imported = slack_import(path=path_given(path), renames=renames)
        except ExportRefused as exc:
            raise CommandError(f"Nothing was imported. {exc}") from None
        self.stdout.write(f"Imported from {path}: {imported_summary(imported)}")
        for note in imported.notes:
            self.stdout.write(f"  {note}")


def imported_summary(imported: Imported) -> str:
    rooms = (
        f"{imported.rooms} rooms ({imported.private} private, {imported.direct} direct messages)"
    )
    people = (
        f"{imported.accounts_new} accounts waiting for their owners to sign up with their "
        f"Slack e-mail address, {imported.accounts_kept} people who had one here already"
    )
    return f"{rooms}, {imported.messages} messages; {people}."
