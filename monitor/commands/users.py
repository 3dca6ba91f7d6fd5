"""People who use the queue: adding them, and their API tokens."""

from __future__ import annotations

import argparse
import getpass
import sys

from monitor.commands.common import EXIT_OK, UsageError, open_store
from monitor.models import Role, utcnow
from monitor.settings import Settings


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from responders.auth import hash_password

    if args.users_command == "token":
        return _add_token(args.name, settings)
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise UsageError("password: use at least 8 characters")
    store = open_store(settings)
    try:
        store.add_user(args.name, Role(args.role), hash_password(password), actor="cli",
                       now=utcnow())
    finally:
        store.close()
    print(f"user {args.name} added as {args.role}")
    return EXIT_OK


def _add_token(name: str, settings: Settings) -> int:
    """Create an API token for a user and print it: it is shown this once, stored hashed."""
    from responders.auth import new_token, token_hash

    token = new_token()
    store = open_store(settings)
    try:
        store.add_api_token(token_hash(token), username=name, actor="cli", now=utcnow())
    finally:
        store.close()
    print(token)
    print(f"API token for {name}: send it as `Authorization: Bearer <token>`. It is shown only "
          "now; brandbot keeps a hash.", file=sys.stderr)
    return EXIT_OK
