"""HTTP API for the workspace actions: dispatch and results, replies, investigation,
compensation and its approval, resolution with a message, canned responses, red-line check."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors
from complaints.api import ActivityOutput, ComplaintDetailOutput, _detail_response
from complaints.models import CompensationType, Department, ResponsibilityType
from kernel.api_fields import RelatedSlug
from kernel.idempotency import IDEMPOTENCY_KEY_HEADER, header_key, request_digest
from kernel.permissions import require_perm
from notifications.models import OutboundChannel
from workspace import selectors as ws_selectors
from workspace import services as ws
from workspace.models import CannedChannel, CannedResponse, DepartmentTask

CHANGE = "complaints.change_complaint"


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you last read; a "
                                       "stale version is refused with 409.")


class DepartmentTaskOutput(serializers.ModelSerializer):
    department = RelatedSlug(slug_field="code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    created_by = RelatedSlug(slug_field="username", read_only=True)
    returned_by = RelatedSlug(slug_field="username", read_only=True)

    class Meta:
        model = DepartmentTask
        fields = ["id", "department", "department_name", "instructions", "due_at", "status",
                  "result", "returned_by", "returned_at", "created_by", "created_at"]


class DispatchInput(VersionInput):
    departments = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Department.objects.filter(is_active=True),
        help_text="Department codes the work goes to (派单).")
    instructions = serializers.CharField(max_length=2000)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


def _tasks(complaint):
    return DepartmentTask.objects.filter(complaint=complaint).select_related(
        "department", "created_by", "returned_by")


class DispatchListCreateApi(APIView):
    """The complaint's dispatches; POST dispatches to one or more departments."""

    def get_permissions(self):
        perm = "workspace.add_departmenttask" if self.request.method == "POST" else \
            "workspace.view_departmenttask"
        return [require_perm(perm)(), require_perm(CHANGE if self.request.method == "POST"
                                                   else "complaints.view_complaint")()]

    @extend_schema(responses=DepartmentTaskOutput(many=True))
    def get(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        return Response(DepartmentTaskOutput(_tasks(complaint), many=True).data)

    @extend_schema(request=DispatchInput, responses={201: DepartmentTaskOutput(many=True)})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = DispatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        ws.dispatch_create(complaint_id=complaint.id, actor=request.user,
                           expected_version=data.validated_data["version"],
                           departments=data.validated_data["departments"],
                           instructions=data.validated_data["instructions"],
                           due_at=data.validated_data["due_at"])
        return Response(DepartmentTaskOutput(_tasks(complaint), many=True).data,
                        status=status.HTTP_201_CREATED)


class DispatchResultInput(VersionInput):
    result = serializers.CharField(max_length=4000)


class DispatchResultApi(APIView):
    """A department's result (回单); the last one returns the complaint to in progress."""

    permission_classes = [require_perm("workspace.change_departmenttask"), require_perm(CHANGE)]

    @extend_schema(request=DispatchResultInput, responses={200: DepartmentTaskOutput})
    def post(self, request, reference: str, task_id: int):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = DispatchResultInput(data=request.data)
        data.is_valid(raise_exception=True)
        ws.dispatch_return(complaint_id=complaint.id, task_id=task_id, actor=request.user,
                           result=data.validated_data["result"],
                           expected_version=data.validated_data["version"])
        return Response(DepartmentTaskOutput(get_object_or_404(_tasks(complaint),
                                                               pk=task_id)).data)


class RedLineMatchOutput(serializers.Serializer):
    phrase = serializers.CharField()
    suggestion = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = serializers.CharField(help_text="The words as written in the text.")


class ReplyInput(VersionInput):
    body = serializers.CharField(max_length=2000)
    channel = serializers.ChoiceField(choices=OutboundChannel.choices)
    send_anyway = serializers.BooleanField(
        default=False, help_text="Send although the text contains red-line phrases (recorded "
                                 "on the timeline). Without it such a reply answers 409 with "
                                 "the matches.")
    canned_response = serializers.IntegerField(required=False, allow_null=True, default=None)


ReplyOutput = inline_serializer("ReplyResult", {
    "activity": ActivityOutput(),
    "outbound_id": serializers.IntegerField(),
    "send_after": serializers.DateTimeField(help_text="Not before 08:00 (quiet hours)."),
    "red_lines": RedLineMatchOutput(many=True),
})
RedLineRefusal = inline_serializer("RedLineRefusal", {
    "detail": serializers.CharField(), "code": serializers.CharField(),
    "red_lines": RedLineMatchOutput(many=True)})


class ReplyApi(APIView):
    """Reply to the customer by SMS or email: on the timeline and queued in the outbox."""

    permission_classes = [require_perm(CHANGE)]

    @extend_schema(request=ReplyInput, responses={201: ReplyOutput, 409: RedLineRefusal},
                   parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            result = ws.reply_send(complaint_id=complaint.id, actor=request.user,
                                   body=values["body"], channel=values["channel"],
                                   expected_version=values["version"],
                                   send_anyway=values["send_anyway"],
                                   canned_id=values["canned_response"],
                                   request_key=header_key(request),
                                   request_digest=request_digest("reply", complaint.reference,
                                                                 values))
        except ws.RedLineWarning as exc:
            return Response({"detail": str(exc.message), "code": exc.code,
                             "red_lines": RedLineMatchOutput(exc.matches, many=True).data},
                            status=status.HTTP_409_CONFLICT)
        return Response({"activity": ActivityOutput(result.activity).data,
                         "outbound_id": result.message.id,
                         "send_after": result.message.send_after,
                         "red_lines": RedLineMatchOutput(result.red_lines, many=True).data},
                        status=status.HTTP_201_CREATED)


class InvestigationInput(VersionInput):
    responsible_department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.filter(is_active=True), allow_null=True,
        required=False, default=None)
    responsibility_type = serializers.ChoiceField(choices=ResponsibilityType.choices)
    findings = serializers.CharField(max_length=4000)


class InvestigationApi(APIView):
    """Record the investigation and who is responsible."""

    permission_classes = [require_perm(CHANGE)]

    @extend_schema(request=InvestigationInput,
                   responses={200: ComplaintDetailOutput})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = InvestigationInput(data=request.data)
        data.is_valid(raise_exception=True)
        ws.investigation_record(complaint_id=complaint.id, actor=request.user,
                                **{"expected_version": data.validated_data.pop("version"),
                                   **data.validated_data})
        return _detail_response(request, reference)


class CompensationInput(VersionInput):
    compensation_type = serializers.ChoiceField(choices=CompensationType.choices)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0,
                                      help_text="CNY. Above COMPENSATION_APPROVAL_LIMIT a "
                                                "supervisor must approve it; above "
                                                "COMPENSATION_MAXIMUM it is refused (400).")
    reason = serializers.CharField(max_length=2000)


class CompensationApi(APIView):
    """Propose a compensation; above the limit its status becomes `pending`."""

    permission_classes = [require_perm(CHANGE)]

    @extend_schema(request=CompensationInput,
                   responses={200: ComplaintDetailOutput})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = CompensationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ws.compensation_propose(complaint_id=complaint.id, actor=request.user,
                                expected_version=values["version"],
                                compensation_type=values["compensation_type"],
                                amount=values["amount"], reason=values["reason"])
        return _detail_response(request, reference)


class ApprovalInput(VersionInput):
    approve = serializers.BooleanField(default=True, help_text="false rejects.")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                   default="", help_text="Required when rejecting.")


class CompensationApproveApi(APIView):
    """A supervisor approves (or rejects, with a reason) a pending compensation."""

    permission_classes = [require_perm("complaints.approve_compensation")]

    @extend_schema(request=ApprovalInput,
                   responses={200: ComplaintDetailOutput})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = ApprovalInput(data=request.data)
        data.is_valid(raise_exception=True)
        ws.compensation_decide(complaint_id=complaint.id, actor=request.user,
                               expected_version=data.validated_data["version"],
                               approve=data.validated_data["approve"],
                               reason=data.validated_data["reason"])
        return _detail_response(request, reference)


class ResolutionInput(VersionInput):
    summary = serializers.CharField(max_length=4000)
    notify_customer = serializers.BooleanField(default=True)


class ResolutionApi(APIView):
    """Resolve with a summary and (by default) tell the customer, compensation included."""

    permission_classes = [require_perm(CHANGE)]

    @extend_schema(request=ResolutionInput,
                   responses={200: ComplaintDetailOutput})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = ResolutionInput(data=request.data)
        data.is_valid(raise_exception=True)
        ws.complaint_resolve(complaint_id=complaint.id, actor=request.user,
                             expected_version=data.validated_data["version"],
                             summary=data.validated_data["summary"],
                             notify_customer=data.validated_data["notify_customer"])
        return _detail_response(request, reference)


class CannedResponseOutput(serializers.ModelSerializer):
    rendered = serializers.SerializerMethodField(
        help_text="With ?complaint=<reference>: the text with its placeholders filled in.")

    class Meta:
        model = CannedResponse
        fields = ["id", "title", "body", "channel", "rendered"]

    def get_rendered(self, canned) -> str | None:
        values = self.context.get("values")
        return ws.canned_render(canned.body, values) if values else None


class CannedResponseListApi(APIView):
    """Active canned responses; placeholders {customer_name} {reference} {expected_date}."""

    permission_classes = [require_perm("workspace.view_cannedresponse")]

    @extend_schema(parameters=[
        OpenApiParameter("complaint", str, description="A complaint reference: fill in the "
                                                       "placeholders for it."),
        OpenApiParameter("channel", str, enum=[c for c in CannedChannel.values if c])],
        responses=CannedResponseOutput(many=True))
    def get(self, request):
        queryset = CannedResponse.objects.filter(is_active=True)
        channel = request.query_params.get("channel")
        if channel:
            queryset = queryset.filter(channel__in=["", channel])
        values = None
        reference = request.query_params.get("complaint")
        if reference:
            complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
            values = ws.canned_values(complaint=complaint,
                                      expected_at=ws_selectors.expected_at_for(complaint))
        return Response(CannedResponseOutput(queryset, many=True,
                                             context={"values": values}).data)


class RedLineCheckInput(serializers.Serializer):
    text = serializers.CharField(max_length=10000, required=False, default="", allow_blank=True,
                                 trim_whitespace=False)


class RedLineCheckApi(APIView):
    """Which red-line phrases a text uses, where, and what to say instead."""

    permission_classes = [require_perm("workspace.view_redlinephrase")]

    @extend_schema(request=RedLineCheckInput,
                   responses=inline_serializer("RedLineCheckResult", {
                       "ok": serializers.BooleanField(),
                       "red_lines": RedLineMatchOutput(many=True)}))
    def post(self, request):
        data = RedLineCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        matches = ws.redline_check(data.validated_data["text"], ws.active_red_lines())
        return Response({"ok": not matches,
                         "red_lines": RedLineMatchOutput(matches, many=True).data})


def dispatch_action(*, complaint, actor, data: dict) -> None:
    """POST /api/v1/complaints/{reference}/dispatch/ (registered with complaints.api): as the page
    and dispatches/ do, one task per department, each answered later with its result; `reason`
    says what they should do."""
    ws.dispatch_create(complaint_id=complaint.id, actor=actor,
                       expected_version=data["version"], departments=data["departments"],
                       instructions=data["reason"], due_at=data["due_at"])
