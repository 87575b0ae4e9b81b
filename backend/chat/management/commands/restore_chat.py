from django.core.management.base import BaseCommand, CommandError

from chat.backup import BackupError, chat_restore
from chat.management.commands.export_chat import counts_summary
from chat.management.paths import path_given


class Command(BaseCommand):
    help = "Load an archive of export_chat into a freshly migrated database (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive export_chat wrote")

    def handle(self, *args, path, **options):
        try:
            counts = chat_restore(path_given(path))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Restored from {path}: " + counts_summary(counts))
