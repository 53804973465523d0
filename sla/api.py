"""HTTP API for deadlines and the escalation queue."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors as complaint_selectors
from kernel.api_fields import RelatedSlug
from kernel.permissions import require_perm
from kernel.personal_data import mask_phone

from . import escalations, selectors
from .models import Clock, Escalation


class ClockOutput(serializers.ModelSerializer):
    class Meta:
        model = Clock
        fields = ["metric", "cycle", "state", "started_at", "due_at", "warn_at", "due_verified",
                  "paused_at", "paused_total", "warned_at", "breached_at", "completed_at",
                  "escalation_level"]


class EscalationOutput(serializers.ModelSerializer):
    reference = serializers.CharField(source="complaint.reference")
    subject = serializers.CharField(source="complaint.subject")
    customer_phone = serializers.SerializerMethodField()
    category = serializers.CharField(source="complaint.category.code", default=None,
                                     allow_null=True)
    department = serializers.CharField(source="complaint.assigned_department.code", default=None,
                                       allow_null=True)
    assigned_agent = serializers.CharField(source="complaint.assigned_agent.username",
                                           default=None, allow_null=True)
    priority = serializers.CharField(source="complaint.priority")
    acknowledged_by = RelatedSlug(slug_field="username", read_only=True)
    nearest_due = serializers.DateTimeField(allow_null=True)
    seconds_left = serializers.SerializerMethodField(
        help_text="Until the nearest deadline; negative when past due.")

    class Meta:
        model = Escalation
        fields = ["reference", "subject", "customer_phone", "category", "department",
                  "assigned_agent", "priority", "level", "reason", "escalated_at",
                  "acknowledged_at", "acknowledged_by", "expected_at", "nearest_due",
                  "seconds_left"]

    def get_customer_phone(self, escalation) -> str:
        return mask_phone(escalation.complaint.customer.phone)

    def get_seconds_left(self, escalation) -> int | None:
        if escalation.nearest_due is None:
            return None
        return int((escalation.nearest_due - timezone.now()).total_seconds())


class EscalationListApi(ListAPIView):
    """The supervisors' escalation queue: most overdue first."""

    serializer_class = EscalationOutput
    permission_classes = [require_perm("sla.view_escalation")]
    filter_backends = []

    @extend_schema(parameters=[
        OpenApiParameter("level", int, enum=[1, 2, 3]),
        OpenApiParameter("department", str, description="Department code"),
        OpenApiParameter("category", str, description="Category code (top level includes "
                                                      "its children)")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        level = params.get("level")
        return selectors.escalation_queue(
            user=self.request.user, level=int(level) if level and level.isdigit() else None,
            department=params.get("department", ""), category=params.get("category", ""))


def _queue_row(user, reference):
    row = selectors.escalation_queue(user=user).filter(complaint__reference=reference).first()
    return EscalationOutput(row).data if row else None


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class EscalateInput(ReasonInput):
    level = serializers.IntegerField(min_value=1, max_value=3, default=1)


class ComplaintEscalateApi(APIView):
    """Escalate by hand, with a reason."""

    permission_classes = [require_perm("sla.add_escalation")]

    @extend_schema(request=EscalateInput, responses={201: EscalationOutput})
    def post(self, request, reference: str):
        complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                               reference=reference)
        data = EscalateInput(data=request.data)
        data.is_valid(raise_exception=True)
        escalations.escalation_raise_manually(complaint_id=complaint.id, actor=request.user,
                                           **data.validated_data)
        return Response(_queue_row(request.user, reference), status=201)


class ComplaintClocksApi(APIView):
    permission_classes = [require_perm("sla.view_clock")]

    @extend_schema(responses=ClockOutput(many=True))
    def get(self, request, reference: str):
        complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                               reference=reference)
        return Response(ClockOutput(complaint.clocks.order_by("due_at"), many=True).data)


class ExpectedDateInput(ReasonInput):
    expected_at = serializers.DateTimeField()


class EscalationActionApi(APIView):
    """acknowledge, expected-date (with a reason) or deescalate (with a reason)."""

    permission_classes = [require_perm("sla.change_escalation")]
    action = ""

    def post(self, request, reference: str):
        complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                               reference=reference)
        self.perform(request, complaint.id)
        row = _queue_row(request.user, reference)
        return Response(row if row is not None else {"reference": reference, "open": False})


class EscalationAcknowledgeApi(EscalationActionApi):
    @extend_schema(request=None, responses=EscalationOutput)
    def post(self, request, reference: str):
        return super().post(request, reference)

    def perform(self, request, complaint_id):
        escalations.escalation_acknowledge(complaint_id=complaint_id, actor=request.user)


class EscalationExpectedDateApi(EscalationActionApi):
    @extend_schema(request=ExpectedDateInput, responses=EscalationOutput)
    def post(self, request, reference: str):
        return super().post(request, reference)

    def perform(self, request, complaint_id):
        data = ExpectedDateInput(data=request.data)
        data.is_valid(raise_exception=True)
        escalations.escalation_set_expected(complaint_id=complaint_id, actor=request.user,
                                         **data.validated_data)


class EscalationDeescalateApi(EscalationActionApi):
    @extend_schema(request=ReasonInput, responses=EscalationOutput)
    def post(self, request, reference: str):
        return super().post(request, reference)

    def perform(self, request, complaint_id):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        escalations.escalation_deescalate(complaint_id=complaint_id, actor=request.user,
                                       **data.validated_data)
