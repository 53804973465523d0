"""In-app notifications of staff: GET /api/v1/notifications/, POST …/read/."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api_fields import RelatedSlug

from .models import Notification


class NotificationOutput(serializers.ModelSerializer):
    complaint = RelatedSlug(slug_field="reference", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "complaint", "created_at", "read_at"]


class NotificationListApi(generics.ListAPIView):
    """My notifications, newest first; `?unread=1` for unread only."""

    serializer_class = NotificationOutput
    filter_backends = []

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = Notification.objects.filter(recipient=self.request.user).select_related(
            "complaint")
        if self.request.query_params.get("unread") in {"1", "true"}:
            queryset = queryset.filter(read_at__isnull=True)
        return queryset


class NotificationsReadInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
        max_length=1000, help_text="Notification ids; none or empty: all of mine.")


class NotificationsReadApi(APIView):
    """Mark my notifications read (all, or the given ids)."""

    @extend_schema(request=NotificationsReadInput,
                   responses=inline_serializer("NotificationsReadResult",
                                               {"marked": serializers.IntegerField()}))
    def post(self, request):
        data = NotificationsReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        queryset = Notification.objects.filter(recipient=request.user, read_at__isnull=True)
        ids = data.validated_data.get("ids")
        if ids:
            queryset = queryset.filter(pk__in=ids)
        return Response({"marked": queryset.update(read_at=timezone.now())})
