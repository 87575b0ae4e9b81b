from django.core.management.base import BaseCommand

from notifications.keys import vapid_keys_new


class Command(BaseCommand):
    help = "Print a new VAPID key pair as the environment lines the settings read."

    def handle(self, *args, **options):
        public_key, private_key = vapid_keys_new()
        self.stdout.write(f"CHAT_VAPID_PUBLIC_KEY={public_key}")
        self.stdout.write(f"CHAT_VAPID_PRIVATE_KEY={private_key}")
