"""People who use the queue: adding and managing them, and their API tokens."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from monitor.commands.common import EXIT_OK, UsageError, open_store, print_table
from monitor.commands.service import LOOPBACK
from monitor.models import Role, utcnow
from monitor.settings import Settings
from monitor.store import Store

ACTOR = "cli"


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    command = args.users_command
    if command == "token":
        return _add_token(args.name, settings, expires=args.expires)
    if command in ("add", "password"):
        return _with_password(args, settings)
    if command == "first-admin":
        return _first_admin(args.name, settings)
    store = open_store(settings)
    try:
        return _manage(store, args)
    finally:
        store.close()


def _manage(store: Store, args: argparse.Namespace) -> int:
    command, now = args.users_command, utcnow()
    if command == "list":
        users = store.list_users()
        if args.json:
            print(json.dumps(users))
        else:
            print_table(users, ("name", "role", "disabled_at", "last_login_at", "api_tokens"))
    elif command in ("disable", "enable"):
        store.set_user_disabled(args.name, disabled=command == "disable", actor=ACTOR, now=now)
        print(f"user {args.name} {command}d")
    elif command == "role":
        store.set_role(args.name, Role(args.role), actor=ACTOR, now=now)
        print(f"user {args.name} is now {args.role}")
    elif command == "tokens":
        if store.get_user(args.name) is None:
            raise UsageError(f"no user called {args.name!r}")
        tokens = store.api_tokens(args.name)
        if args.json:
            print(json.dumps(tokens))
        else:
            print_table(tokens, ("id", "created_at", "last_used_at", "expires_at"))
    elif command == "revoke":
        owner = store.revoke_api_token(args.token_id, actor=ACTOR, now=now)
        print(f"API token {args.token_id} of {owner} revoked")
    return EXIT_OK


def _with_password(args: argparse.Namespace, settings: Settings) -> int:
    from responders.auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise UsageError("password: use at least 8 characters")
    store = open_store(settings)
    try:
        if args.users_command == "add":
            store.add_user(args.name, Role(args.role), hash_password(password), actor=ACTOR,
                           now=utcnow())
            print(f"user {args.name} added as {args.role}")
        else:
            store.set_password_hash(args.name, hash_password(password), actor=ACTOR,
                                    now=utcnow())
            print(f"password of {args.name} changed")
    finally:
        store.close()
    return EXIT_OK


def _add_token(name: str, settings: Settings, *, expires: object = None) -> int:
    """Create an API token for a user and print it: it is shown this once, stored hashed."""
    from datetime import timedelta

    from responders.auth import new_token, token_hash

    token = new_token()
    now = utcnow()
    until = now + expires if isinstance(expires, timedelta) else None
    store = open_store(settings)
    try:
        store.add_api_token(token_hash(token), username=name, actor=ACTOR, now=now,
                            expires_at=until)
    finally:
        store.close()
    print(token)
    print(f"API token for {name}: send it as `Authorization: Bearer <token>`. It is shown only "
          "now; brandbot keeps a hash." + (f" It expires at {until:%Y-%m-%d %H:%M} UTC."
                                            if until else ""), file=sys.stderr)
    return EXIT_OK


def _first_admin(name: str, settings: Settings) -> int:
    """While nobody can sign in yet (no user at all), add `name` as an admin with a random
    password and print how to sign in: the password is shown this once and stored hashed."""
    import secrets

    from responders.auth import hash_password

    password = secrets.token_urlsafe(12)
    store = open_store(settings)
    try:
        added = store.add_first_user(name, Role.ADMIN, hash_password(password), actor=ACTOR,
                                     now=utcnow())
    finally:
        store.close()
    host = LOOPBACK.get(settings.web.host, settings.web.host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{settings.web.port}"
    if added:
        print(f"sign in at {url} as {name} with password {password}\n"
              f"  (an admin made for this first run: the password is shown only now and kept "
              f"as a hash; change it with `brandbot users password {name}`)")
    else:
        print(f"sign in at {url} with a user you added (`brandbot users list` names them)")
    return EXIT_OK
