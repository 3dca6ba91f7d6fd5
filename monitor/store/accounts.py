"""People and their sign-ins: users, web sessions, API tokens, sign-in attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitor.models import (
    Role,
    iso,
    parse_iso,
)
from monitor.store.audit import AuditStore
from monitor.store.base import dumps
from monitor.store.errors import NotFound, StoreError


class AccountsStore(AuditStore):
    """Users, sessions, API tokens and sign-in attempts."""

    def add_user(self, name: str, role: Role, password_hash: str, *, actor: str,
                 now: datetime) -> None:
        """Create a user; StoreError if the name is taken."""
        with self.transaction() as conn:
            exists = conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
            if exists:
                raise StoreError(f"user {name!r} already exists")
            conn.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, role.value, password_hash, iso(now)),
            )
            self._audit(actor, "user_add", f"user:{name}", None, role.value, None, now)

    def add_first_user(self, name: str, role: Role, password_hash: str, *, actor: str,
                       now: datetime) -> bool:
        """Create a user only while there is none at all (True if it was created)."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                return False
            conn.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, role.value, password_hash, iso(now)),
            )
            self._audit(actor, "user_add", f"user:{name}", None, role.value, None, now)
            return True

    def set_password_hash(self, name: str, password_hash: str, *, actor: str | None,
                          now: datetime) -> None:
        """Replace a user's password hash: a reset (audited, `actor` did it), or a rehash at a
        higher cost at sign-in (`actor` None: the same password, nothing to audit)."""
        with self.transaction() as conn:
            done = conn.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                                (password_hash, name))
            if not done.rowcount:
                raise NotFound(f"no user {name!r}")
            if actor is not None:
                self._audit(actor, "user_password", f"user:{name}", None, None, None, now)

    def get_user(self, name: str) -> dict[str, Any] | None:
        """A user row (name, role, password_hash, created_at) or None."""
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def list_users(self) -> list[dict[str, Any]]:
        """Every user (without password hashes) with their last sign-in, by name."""
        rows = self.conn.execute(
            "SELECT u.name, u.role, u.created_at, u.disabled_at, (SELECT max(a.at) FROM audit a "
            "WHERE a.actor = u.name AND a.action = 'login') AS last_login_at, "
            "(SELECT count(*) FROM api_tokens t WHERE t.username = u.name) AS api_tokens "
            "FROM users u ORDER BY u.name"
        )
        return [dict(r) for r in rows]

    def active_users(self) -> list[tuple[str, str]]:
        """(name, role) of every user who can sign in, by name."""
        rows = self.conn.execute(
            "SELECT name, role FROM users WHERE disabled_at IS NULL ORDER BY name")
        return [(str(r[0]), str(r[1])) for r in rows]

    def create_session(self, token_hash: str, *, username: str, csrf_token: str,
                       now: datetime, expires_at: datetime, ip: str | None,
                       user_agent: str | None) -> None:
        """Store a signed-in session (by the hash of its token) and audit the sign-in."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (iso(now),))
            conn.execute(
                "INSERT INTO sessions (token_hash, username, csrf_token, created_at, "
                "last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (token_hash, username, csrf_token, iso(now), iso(now), iso(expires_at), ip,
                 (user_agent or "")[:200]),
            )
            self._audit(username, "login", f"user:{username}", None, None,
                        {"ip": ip} if ip else None, now)

    def session(self, token_hash: str, *, now: datetime) -> dict[str, Any] | None:
        """The live session with that token hash (with the user's current role), or None."""
        row = self.conn.execute(
            "SELECT s.username, u.role, s.csrf_token, s.last_seen_at, s.expires_at, s.flash "
            "FROM sessions s JOIN users u ON u.name = s.username "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
            (token_hash, iso(now)),
        ).fetchone()
        return dict(row) if row else None

    def touch_session(self, token_hash: str, *, now: datetime, expires_at: datetime) -> None:
        """Push a live session's idle expiry forward."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET last_seen_at = ?, expires_at = ? "
                "WHERE token_hash = ? AND expires_at > ?",
                (iso(now), iso(expires_at), token_hash, iso(now)),
            )

    def end_session(self, token_hash: str, *, now: datetime) -> None:
        """Sign a session out."""
        with self.transaction() as conn:
            row = conn.execute("SELECT username FROM sessions WHERE token_hash = ?",
                               (token_hash,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
                self._audit(row[0], "logout", f"user:{row[0]}", None, None, None, now)

    def set_flash(self, token_hash: str, message: dict[str, str] | None) -> None:
        """Leave a one-off message for the session's next page (None clears it)."""
        with self.transaction() as conn:
            conn.execute("UPDATE sessions SET flash = ? WHERE token_hash = ?",
                         (dumps(message) if message else None, token_hash))

    def add_api_token(self, token_hash: str, *, username: str, actor: str,
                      now: datetime, expires_at: datetime | None = None) -> None:
        """Store a user's API token by its hash (valid until `expires_at`, or until revoked);
        NotFound for an unknown user."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (username,)).fetchone() is None:
                raise NotFound(f"no user called {username!r}: add one with "
                               f"`brandbot users add {username} --role approver`")
            conn.execute(
                "INSERT INTO api_tokens (token_hash, username, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (token_hash, username, iso(now), iso(expires_at)),
            )
            self._audit(actor, "api_token_add", f"user:{username}", None, None, None, now)

    def api_token_user(self, token_hash: str, *, now: datetime | None = None
                       ) -> dict[str, Any] | None:
        """The user (name, role) a live API token belongs to, or None (no such token, expired
        by `now`, or its user disabled)."""
        row = self.conn.execute(
            "SELECT u.name AS username, u.role, t.last_used_at FROM api_tokens t "
            "JOIN users u ON u.name = t.username WHERE t.token_hash = ? "
            "AND u.disabled_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)",
            (token_hash, iso(now) or ""),
        ).fetchone()
        return dict(row) if row else None

    def api_tokens(self, username: str) -> list[dict[str, Any]]:
        """A user's API tokens, newest first: an id (the first 12 characters of the token's
        hash: enough to name it, nothing to use), created, last used, expires."""
        rows = self.conn.execute(
            "SELECT substr(token_hash, 1, 12) AS id, created_at, last_used_at, expires_at "
            "FROM api_tokens WHERE username = ? ORDER BY created_at DESC", (username,))
        return [dict(r) for r in rows]

    def revoke_api_token(self, token_id: str, *, actor: str, now: datetime) -> str:
        """Delete the API token whose id (see `api_tokens`) this is; its user's name.
        NotFound unless exactly one token has it."""
        if len(token_id) < 8 or not all(c in "0123456789abcdef" for c in token_id):
            raise NotFound(f"no API token {token_id!r}")
        with self.transaction() as conn:
            rows = conn.execute("SELECT token_hash, username FROM api_tokens "
                                "WHERE substr(token_hash, 1, ?) = ?",
                                (len(token_id), token_id)).fetchall()
            if len(rows) != 1:
                raise NotFound(f"no API token {token_id!r}")
            conn.execute("DELETE FROM api_tokens WHERE token_hash = ?", (rows[0][0],))
            self._audit(actor, "api_token_revoke", f"user:{rows[0][1]}", None, None,
                        {"token": token_id}, now)
            return str(rows[0][1])

    def set_user_disabled(self, name: str, *, disabled: bool, actor: str,
                          now: datetime) -> None:
        """Disable a user (their sessions end at once, their API tokens stop working) or
        enable them again. StoreError for the last enabled admin."""
        with self.transaction() as conn:
            user = self._existing_user(name)
            if disabled and user["role"] == Role.ADMIN.value and user["disabled_at"] is None:
                self._keep_an_admin(conn, name, "disable")
            conn.execute("UPDATE users SET disabled_at = ? WHERE name = ?",
                         (iso(now) if disabled else None, name))
            if disabled:
                conn.execute("DELETE FROM sessions WHERE username = ?", (name,))
            self._audit(actor, "user_disable" if disabled else "user_enable", f"user:{name}",
                        None, None, None, now)

    def set_role(self, name: str, role: Role, *, actor: str, now: datetime) -> None:
        """Give a user another role. StoreError for taking the last enabled admin's away."""
        with self.transaction() as conn:
            user = self._existing_user(name)
            if (user["role"] == Role.ADMIN.value and role is not Role.ADMIN
                    and user["disabled_at"] is None):
                self._keep_an_admin(conn, name, "change the role of")
            conn.execute("UPDATE users SET role = ? WHERE name = ?", (role.value, name))
            self._audit(actor, "user_role", f"user:{name}", user["role"], role.value, None, now)

    def _existing_user(self, name: str) -> dict[str, Any]:
        user = self.get_user(name)
        if user is None:
            raise NotFound(f"no user called {name!r}")
        return user

    @staticmethod
    def _keep_an_admin(conn: Any, name: str, verb: str) -> None:
        others = conn.execute("SELECT count(*) FROM users WHERE role = 'admin' "
                              "AND disabled_at IS NULL AND name <> ?", (name,)).fetchone()[0]
        if not others:
            raise StoreError(f"cannot {verb} {name}: they are the last admin who can sign in")

    def touch_api_token(self, token_hash: str, *, now: datetime) -> None:
        """Record when an API token was last used."""
        with self.transaction() as conn:
            conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?",
                         (iso(now), token_hash))

    def reserve_login_attempt(self, username: str, *, ip: str, now: datetime,
                              window: timedelta, max_per_user: int, max_per_ip: int,
                              keep: timedelta = timedelta(days=1)
                              ) -> tuple[int | None, datetime | None]:
        """Check the limits and record one sign-in attempt in the same write transaction,
        counted as a failure until `settle_login_attempt` says otherwise: however many
        attempts arrive together (on any replica), at most the allowed number are let through
        to have their password checked. Returns (the attempt's id, None) when it may be
        checked, else (None, when the lock ends)."""
        with self.transaction() as conn:
            by_user, by_ip = self.login_failures(username, ip=ip, since=now - window)
            locks = [t for t in (_locked_until(by_user, max_per_user, window),
                                 _locked_until(by_ip, max_per_ip, window))
                     if t is not None and t > now]
            if locks:
                return None, max(locks)
            conn.execute("DELETE FROM login_attempts WHERE at < ?", (iso(now - keep),))
            row = conn.execute(
                "INSERT INTO login_attempts (at, username, ip, ok) VALUES (?, ?, ?, 0) "
                "RETURNING id", (iso(now), username, ip)).fetchone()
            return int(row[0]), None

    def settle_login_attempt(self, attempt_id: int, *, ok: bool) -> None:
        """Record whether a reserved sign-in attempt had the right password."""
        if ok:
            with self.transaction() as conn:
                conn.execute("UPDATE login_attempts SET ok = 1 WHERE id = ?", (attempt_id,))

    def login_failures(self, username: str, *, ip: str, since: datetime
                       ) -> tuple[list[str], list[str]]:
        """Times of failed sign-ins since `since`: for the username (after its last success)
        and from the address, oldest first."""
        by_user = self.conn.execute(
            "SELECT at FROM login_attempts WHERE username = ? AND ok = 0 AND at > ? "
            "AND at > coalesce((SELECT max(at) FROM login_attempts "
            "WHERE username = ? AND ok = 1), '') ORDER BY at",
            (username, iso(since), username),
        ).fetchall()
        by_ip = self.conn.execute(
            "SELECT at FROM login_attempts WHERE ip = ? AND ok = 0 AND at > ? ORDER BY at",
            (ip, iso(since)),
        ).fetchall()
        return [r[0] for r in by_user], [r[0] for r in by_ip]


def _locked_until(failures: list[str], limit: int, window: timedelta) -> datetime | None:
    """When a run of failures stops blocking: `limit` failures within `window` block."""
    if len(failures) < limit:
        return None
    return parse_iso(failures[-limit]) + window
