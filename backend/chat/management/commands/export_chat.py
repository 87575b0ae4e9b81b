from django.core.management.base import BaseCommand, CommandError

from chat.backup import BackupError, chat_export
from chat.management.paths import path_given


class Command(BaseCommand):
    help = "Write rooms, members, messages and attachment files to one archive (.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive to write, such as backup.tar.gz")

    def handle(self, *args, path, **options):
        try:
            counts = chat_export(path_given(path))
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Exported to {path}: " + counts_summary(counts))


def counts_summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {label}" for label, count in counts.items())
