"""Token authentication for the HTTP APIs: DRF's, with the user's permissions read in the same
statement as the token and the user.

DRF's TokenAuthentication reads the token with its user; the first permission check of the
request then costs two more statements (ModelBackend reads the user's own permissions and
those of their groups). Here both sets come back as two columns of the token's statement and
are put where ModelBackend keeps them for the request (`_user_perm_cache`, `_group_perm_cache`,
`_perm_cache`): the same sets, read at the same moment of the same request, one round trip
instead of three. A superuser holds every permission anyway and is left to ModelBackend.
The statement is written once per process, not compiled by the ORM on every request.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .db import columns_of, instance_from_row

_SEPARATOR = "\n"  # never part of an app label or a codename


def _permission_columns(token_table: str) -> dict[str, RawSQL]:
    """Two text columns: the user's own permissions and their groups', as
    "app_label.codename" joined by newlines (NULL when none)."""
    user = get_user_model()
    user_model_table = user.user_permissions.through._meta.db_table  # noqa: SLF001
    group_table = Group.permissions.through._meta.db_table  # noqa: SLF001
    user_groups = user.groups.through._meta.db_table  # noqa: SLF001
    permission, content_type = Permission._meta.db_table, ContentType._meta.db_table  # noqa: SLF001
    if connection.vendor == "postgresql":
        aggregate = "string_agg(ct.app_label || '.' || p.codename, chr(10))"
    else:
        aggregate = "group_concat(ct.app_label || '.' || p.codename, char(10))"
    joined = (f'FROM "{permission}" p JOIN "{content_type}" ct ON ct.id = p.content_type_id ')
    user_column = f'"{token_table}"."user_id"'
    return {
        "user_permissions_text": RawSQL(
            f'SELECT {aggregate} {joined} JOIN "{user_model_table}" up '
            f"ON up.permission_id = p.id WHERE up.user_id = {user_column}", ()),
        "group_permissions_text": RawSQL(
            f'SELECT {aggregate} {joined} JOIN "{group_table}" gp ON gp.permission_id = p.id '
            f'JOIN "{user_groups}" ug ON ug.group_id = gp.group_id '
            f"WHERE ug.user_id = {user_column}", ()),
    }


_statements: dict[type, str] = {}


def _token_with_user(model, key: str):
    """(token, its user, the user's permissions text, their groups' permissions text) of
    `key`, or None: `Token.objects.select_related("user").get(key=key)` with the two
    permission columns, in a statement written once per process."""
    user_model = get_user_model()
    token_fields, token_columns = columns_of(model)
    user_fields, user_columns = columns_of(user_model)
    sql = _statements.get(model)
    if sql is None:
        quote = connection.ops.quote_name
        token_table, user_table = quote(model._meta.db_table), quote(user_model._meta.db_table)
        permissions = _permission_columns(model._meta.db_table)
        sql = _statements[model] = (
            f"SELECT {token_columns}, {user_columns}, "
            f"({permissions['user_permissions_text'].sql}), "
            f"({permissions['group_permissions_text'].sql}) "
            f"FROM {token_table} JOIN {user_table} ON {user_table}."
            f"{quote(user_model._meta.pk.column)} = {token_table}."
            f"{quote(model._meta.get_field('user').column)} "
            f"WHERE {token_table}.{quote(model._meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(token_fields)
    token = instance_from_row(model, token_fields, row[:split])
    user = instance_from_row(user_model, user_fields, row[split:split + len(user_fields)])
    token.user = user
    return token, user, row[-2], row[-1]


def _permissions(text: str | None) -> set[str]:
    return set(text.split(_SEPARATOR)) if text else set()


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's; the user's permissions come with the token."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        found = _token_with_user(model, key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user, user_permissions, group_permissions = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not user.is_superuser:  # as ModelBackend would have read them on first use
            user._user_perm_cache = _permissions(user_permissions)  # noqa: SLF001
            user._group_perm_cache = _permissions(group_permissions)  # noqa: SLF001
            user._perm_cache = user._user_perm_cache | user._group_perm_cache  # noqa: SLF001
        return (user, token)
