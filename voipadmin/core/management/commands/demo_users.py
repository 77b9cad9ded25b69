"""Create one demo user per role on the embedded default, printing each password once, at creation."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from voipadmin.core.roles import ROLES, ensure_roles


class Command(BaseCommand):
    help = "Create the demo users ops, support and viewer (embedded default only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset", action="store_true", help="Give the demo users new passwords.")

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        if not settings.USING_SQLITE:
            raise CommandError("Demo users are only made on the embedded default (SQLite).")
        ensure_roles()
        User = get_user_model()
        lines = []
        for role in ROLES:
            user, created = User.objects.get_or_create(username=role)
            user.groups.set([Group.objects.get(name=role)])
            if created or reset:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save()
                lines.append(f"  {role:<8} {password}")
            else:
                lines.append(f"  {role:<8} (password printed when it was made; --reset gives a new one)")
        self.stdout.write("Demo logins (user / password):\n" + "\n".join(lines))
