"""The demo organisation in the database: departments and staff accounts, upserted by code and
username, so seeding again changes nothing there."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from complaints.models import Department
from demo.people import DEMO_PASSWORD, DEPARTMENTS, STAFF, SUPERVISOR_USERNAME, StaffMember
from kernel.roles import ensure_roles


@dataclass
class Organisation:
    users: dict  # username → User
    departments: dict[str, Department]  # code → Department


def seed_organisation() -> Organisation:
    """Departments and staff, created or brought back in line with demo.people; idempotent."""
    ensure_roles()
    # Hashing is deliberately slow (about half a second); the demo accounts share one password,
    # so hash it once.
    password = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        users = {m.username: _upsert_user(m, password) for m in STAFF}
        departments: dict[str, Department] = {}
        for code, name, level, parent in DEPARTMENTS:
            departments[code], _ = Department.objects.update_or_create(
                code=code, defaults={
                    "name": name, "level": level, "parent": departments.get(parent),
                    "supervisor": users[SUPERVISOR_USERNAME], "is_active": True})
        for member in STAFF:
            users[member.username].departments.add(
                *(departments[code] for code in member.departments))
    return Organisation(users, departments)


def _upsert_user(member: StaffMember, password: str):
    user, created = get_user_model().objects.update_or_create(
        username=member.username, defaults={
            "first_name": member.first_name, "last_name": "", "is_active": True,
            "is_staff": member.is_staff, "is_superuser": member.is_superuser,
            "email": f"{member.username}@demo.example.com"})
    # Only new accounts get the demo password: one someone changed on purpose is kept.
    if created or not user.has_usable_password():
        user.password = password
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=member.role))
    return user
