"""Let a locked-out musician (or a whole address, such as an office's or a proxy's) sign in again at once,
instead of waiting out LOGIN_LOCKOUT_SECONDS."""

import ipaddress

from django.core.management.base import BaseCommand, CommandError

from accounts.forms import LoginForm
from accounts.lockout import unlock_account, unlock_address
from accounts.models import User


class Command(BaseCommand):
    help = "Clear the failed sign-ins counted against accounts (from every address) and/or client addresses."

    def add_arguments(self, parser):
        parser.add_argument("accounts", nargs="*", help="usernames or email addresses")
        parser.add_argument("--address", action="append", default=[], help="a client address (repeatable)")

    def handle(self, *args, **opts):
        if not opts["accounts"] and not opts["address"]:
            raise CommandError("name an account (username or email) or --address to unlock")
        for ident in opts["accounts"]:
            username = LoginForm.username_for(ident)
            if not User.objects.filter(username=username).exists():
                raise CommandError(f"no account is called {ident!r}")
            unlock_account(username)
            self.stdout.write(f"{username}: failed sign-ins forgotten, from every address")
        for address in opts["address"]:
            try:
                address = str(ipaddress.ip_address(address.strip()))
            except ValueError:
                raise CommandError(f"{address!r} is not an IP address (as the studio's log shows them, e.g. "
                                   "127.0.0.1)") from None
            unlock_address(address)
            self.stdout.write(f"{address}: failed sign-ins forgotten")
