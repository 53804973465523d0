"""Operations for migrations that move a model from one app to another without touching its
table: the migration state moves (`SeparateDatabaseAndState`), and so do the model's content
type and, with it, its permissions and every group's and user's hold on them."""

from django.db import migrations


def move_content_types(old_app: str, new_app: str, models: list[str]) -> migrations.RunPython:
    def forward(apps, schema_editor):
        _move(apps, old_app, new_app, models)

    def backward(apps, schema_editor):
        _move(apps, new_app, old_app, models)

    return migrations.RunPython(forward, backward)


def _move(apps, source: str, target: str, models: list[str]) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in models:
        moving = content_type.objects.filter(app_label=source, model=model).first()
        if moving is None:  # a new database: post_migrate creates the type afterwards
            continue
        early = content_type.objects.filter(app_label=target, model=model).first()
        if early is not None:
            _merge(early, into=moving)
        moving.app_label = target
        moving.save(update_fields=["app_label"])


def _merge(early, *, into) -> None:
    """A type that exists under the target label already gives way to the moving one, whose id
    the permissions, groups and users hold. It was made before this migration ran: by code of
    the new layout (`get_for_model`, the admin's log) or by post_migrate after a partial
    rollback. Rows pointing at it (log entries) move over; its permissions, copies of the moving
    type's, go with it."""
    for relation in early._meta.related_objects:
        if relation.many_to_many or relation.related_model._meta.label_lower == "auth.permission":
            continue
        name = relation.field.name
        relation.related_model._base_manager.filter(**{name: early}).update(**{name: into})
    early.delete()
