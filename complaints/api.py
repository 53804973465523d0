"""HTTP API for complaints: authenticate, validate, call one service or selector, serialise."""

from collections.abc import Callable

import django_filters
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api_fields import FieldsBuiltOnce, RelatedPk, RelatedSlug
from kernel.api_filters import UtcIsoDateTimeFilter
from kernel.attachments import download_response
from kernel.idempotency import IDEMPOTENCY_KEY_HEADER, header_key, request_digest
from kernel.permissions import require_perm
from kernel.personal_data import mask_email, mask_name, mask_phone

from . import selectors, services
from .lifecycle import Action, Status
from .models import (
    Activity,
    Attachment,
    Category,
    Channel,
    Complaint,
    CustomerTier,
    Department,
    Priority,
)

# --- output ---------------------------------------------------------------------------------


class CategoryOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    parent = RelatedSlug(slug_field="code", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "parent"]


class DepartmentOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    parent = RelatedSlug(slug_field="code", read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "level", "parent"]


class CustomerOutput(serializers.Serializer):
    """Masked by default: full data only through the logged reveal endpoint."""

    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    service_number = serializers.CharField()
    tier = serializers.ChoiceField(choices=CustomerTier.choices)

    def get_name(self, customer) -> str:
        return mask_name(customer.name)

    def get_phone(self, customer) -> str:
        return mask_phone(customer.phone)

    def get_email(self, customer) -> str:
        return mask_email(customer.email)


class ActivityOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    actor = RelatedSlug(slug_field="username", read_only=True)

    class Meta:
        model = Activity
        fields = ["id", "kind", "actor_type", "actor", "visibility", "message", "data",
                  "version", "created_at"]


class ComplaintOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    customer = CustomerOutput()
    category = CategoryOutput(allow_null=True)
    assigned_department = DepartmentOutput(allow_null=True)
    responsible_department = DepartmentOutput(allow_null=True)
    assigned_agent = RelatedSlug(slug_field="username", read_only=True)
    merged_into = RelatedSlug(slug_field="reference", read_only=True)
    possible_duplicate_of = RelatedSlug(slug_field="reference", read_only=True,
        help_text="An open complaint of the same customer and category this one may duplicate "
                  "(merge it with the merge action, merged_into = this reference).")
    status_label = serializers.CharField(source="get_status_display")
    flags = serializers.ListField(child=serializers.CharField())
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "reference", "channel", "status", "status_label", "priority", "category",
            "product_line", "customer", "subject", "description", "location", "received_at",
            "flags", "regulator_case_no", "escalation_level", "reopen_count",
            "assigned_department", "assigned_agent", "responsible_department",
            "responsibility_type", "resolution_summary", "compensation_type",
            "compensation_amount", "compensation_status", "merged_into",
            "possible_duplicate_of", "version",
            "acknowledged_at", "resolved_at", "closed_at", "created_at", "updated_at",
            "allowed_actions",
        ]

    def get_allowed_actions(self, complaint) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [a.value for a in selectors.complaint_actions_for_user(user=request.user,
                                                                      complaint=complaint)]


class AttachmentOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    activity = RelatedPk(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "activity",
                  "uploaded_by_customer", "created_at", "url"]

    def get_url(self, attachment) -> str:
        return reverse("api-complaint-attachment",
                       args=[attachment.complaint.reference, attachment.id])


class ComplaintDetailOutput(ComplaintOutput):
    timeline = ActivityOutput(source="activities", many=True)
    attachments = AttachmentOutput(many=True)

    class Meta(ComplaintOutput.Meta):
        fields = [*ComplaintOutput.Meta.fields, "timeline", "attachments"]


# --- list and create ------------------------------------------------------------------------

FLAG_FIELDS = {"repeat": "is_repeat", "vip": "is_vip", "regulator": "is_regulator",
               "escalation_risk": "escalation_risk"}


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=[(s.value, s.label) for s in Status])
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    category = django_filters.CharFilter(method="filter_category",
                                         help_text="Category code; a top-level code includes "
                                                   "its children.")
    department = django_filters.CharFilter(field_name="assigned_department__code")
    agent = django_filters.CharFilter(field_name="assigned_agent__username")
    flag = django_filters.MultipleChoiceFilter(choices=[(k, k) for k in FLAG_FIELDS],
                                               method="filter_flags")
    received_after = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields = []

    def filter_category(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(category__code=value) | Q(category__parent__code=value))

    def filter_flags(self, queryset, name, values):
        return queryset.filter(**{FLAG_FIELDS[v]: True for v in values})


# The complaints the user may see. Creating one is intake's: intake.api_create extends this view
# with POST on the same URL.
class ComplaintListApi(generics.ListAPIView):

    serializer_class = ComplaintOutput
    filterset_class = ComplaintFilter
    ordering_fields = ["received_at", "priority", "status", "reference", "updated_at"]
    ordering = ["-received_at", "-id"]

    permission_classes = [require_perm("complaints.view_complaint")]

    def get_queryset(self):
        return selectors.complaint_list(user=self.request.user).select_related(
            "possible_duplicate_of")


class ComplaintDetailApi(APIView):
    permission_classes = [require_perm("complaints.view_complaint")]

    @extend_schema(responses=ComplaintDetailOutput)
    def get(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference,
                                                     with_timeline=True)
        return Response(ComplaintDetailOutput(complaint, context={"request": request}).data)


# --- lifecycle actions ----------------------------------------------------------------------


class TransitionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you last read; a "
                                       "stale version is refused with 409.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    resolution_summary = serializers.CharField(required=False, allow_blank=True, default="",
                                               max_length=4000)  # as the resolve form
    merged_into = serializers.CharField(required=False, allow_blank=True, default="",
                                        help_text="Reference of the original (merge only).")
    departments = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, default=list,
        queryset=Department.objects.filter(is_active=True),
        help_text="Dispatch only (required): the department codes the work goes to, one task "
                  "each; `reason` says what they should do. Each department's result is "
                  "recorded at dispatches/{id}/result/.")
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                       help_text="Dispatch only: when the results are due.")


# Actions another app carries out in its own way: Action -> handler(complaint=, actor=, data=)
# taking the validated TransitionInput. Registered by that app in its AppConfig.ready()
# (workspace: dispatch makes one task per department). The rest go to complaint_transition.
ActionHandler = Callable[..., object]
ACTION_HANDLERS: dict[Action, ActionHandler] = {}


def register_action_handler(action: Action, handler: ActionHandler) -> None:
    ACTION_HANDLERS[action] = handler


def _detail_response(request, reference, code=status.HTTP_200_OK, handed_over_by=None):
    complaint = selectors.complaint_get_for_user(user=request.user, reference=reference,
                                                 with_timeline=True, handed_over_by=handed_over_by)
    return Response(ComplaintDetailOutput(complaint, context={"request": request}).data,
                    status=code)


class ComplaintTransitionApi(APIView):
    """One endpoint per lifecycle action: POST /api/v1/complaints/{reference}/{action}/."""

    @extend_schema(
        operation_id="v1_complaints_action",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH,
                                     enum=[a.value for a in Action])],
        request=TransitionInput, responses={200: ComplaintDetailOutput})
    def post(self, request, reference: str, action: str):
        action = Action(action)  # the URL pattern only admits known actions
        if not request.user.has_perm(selectors.action_permission(action)):
            self.permission_denied(request, message="Your role may not %s complaints." % action)
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        handler = ACTION_HANDLERS.get(action)
        if handler is not None:
            handler(complaint=complaint, actor=request.user, data=data.validated_data)
            return _detail_response(request, reference)
        services.complaint_transition(
            complaint_id=complaint.id, action=action, actor=request.user,
            expected_version=data.validated_data["version"],
            reason=data.validated_data["reason"],
            resolution_summary=data.validated_data["resolution_summary"],
            merged_into_reference=data.validated_data["merged_into"],
            departments=data.validated_data["departments"])
        return _detail_response(request, reference)


class AssignInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    department = serializers.SlugRelatedField(slug_field="code", required=False, allow_null=True,
                                              queryset=Department.objects.filter(is_active=True))
    agent = serializers.SlugRelatedField(slug_field="username", required=False, allow_null=True,
                                         queryset=get_user_model().objects.filter(is_active=True))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ComplaintAssignApi(APIView):
    permission_classes = [require_perm("complaints.change_complaint")]

    @extend_schema(request=AssignInput, responses={200: ComplaintDetailOutput})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.complaint_assign(
            complaint_id=complaint.id, actor=request.user,
            expected_version=data.validated_data["version"],
            department=data.validated_data.get("department"),
            agent=data.validated_data.get("agent"), reason=data.validated_data["reason"])
        # Handing a complaint to another department is allowed; the answer still shows it once.
        return _detail_response(request, reference, handed_over_by=complaint)


class NoteInput(serializers.Serializer):
    body = serializers.CharField(max_length=10000)
    public = serializers.BooleanField(default=False,
                                      help_text="Public replies show on the customer's timeline.")


class ComplaintNoteApi(APIView):
    permission_classes = [require_perm("complaints.change_complaint")]

    @extend_schema(request=NoteInput, responses={201: ActivityOutput},
                   parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.complaint_add_note(
            complaint_id=complaint.id, actor=request.user, **data.validated_data,
            request_key=header_key(request),
            request_digest=request_digest("note", complaint.reference, data.validated_data))
        return Response(ActivityOutput(entry).data, status=status.HTTP_201_CREATED)


class RevealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ComplaintRevealApi(APIView):
    """The customer's full personal data. Needs a permission; every call is logged."""

    permission_classes = [require_perm("complaints.reveal_personal_data")]

    @extend_schema(request=RevealInput, responses=inline_serializer(
        "RevealedPersonalData", {k: serializers.CharField()
                                 for k in ("name", "phone", "email", "id_number")}))
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = RevealInput(data=request.data)
        data.is_valid(raise_exception=True)
        revealed = services.personal_data_reveal(
            user=request.user, complaint=complaint, reason=data.validated_data["reason"],
            ip_address=request.META.get("REMOTE_ADDR"))
        return Response(revealed)


class AttachInput(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=5)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    public = serializers.BooleanField(default=False)


class ComplaintAttachmentsApi(APIView):
    """Upload up to 5 files (images, PDF, text; type checked from the content)."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [require_perm("complaints.add_attachment")]

    @extend_schema(request={"multipart/form-data": AttachInput},
                   responses={201: AttachmentOutput(many=True)})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = AttachInput(data={"files": request.FILES.getlist("files"),
                                 "note": request.data.get("note", ""),
                                 "public": request.data.get("public", False)})
        data.is_valid(raise_exception=True)
        entry = services.complaint_attach_files(complaint_id=complaint.id, actor=request.user,
                                                **data.validated_data)
        attachments = entry.attachments.select_related("complaint")
        return Response(AttachmentOutput(attachments, many=True).data,
                        status=status.HTTP_201_CREATED)


class ComplaintAttachmentDownloadApi(APIView):
    permission_classes = [require_perm("complaints.view_attachment")]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, reference: str, attachment_id: int):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        attachment = get_object_or_404(complaint.attachments, pk=attachment_id)
        return download_response(attachment.file.open("rb"), attachment.original_name,
                                 attachment.content_type)


# --- reference data -------------------------------------------------------------------------


class CategoryListApi(generics.ListAPIView):
    serializer_class = CategoryOutput
    permission_classes = [require_perm("complaints.view_category")]
    queryset = Category.objects.filter(is_active=True).select_related("parent")
    pagination_class = None
    filter_backends = []


class DepartmentListApi(generics.ListAPIView):
    serializer_class = DepartmentOutput
    permission_classes = [require_perm("complaints.view_department")]
    queryset = Department.objects.filter(is_active=True).select_related("parent")
    pagination_class = None
    filter_backends = []
