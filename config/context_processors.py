from notifications.models import Notification


def notifications(request):
    """Unread in-app notifications for the nav badge (one count query per page)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}

    return {"unread_notifications": Notification.objects.filter(
        recipient=user, read_at__isnull=True).count()}
