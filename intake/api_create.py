"""POST /api/v1/complaints/: record a complaint through the one intake path. The list (GET) on the
same URL is complaints' own view, which this one extends."""

import uuid

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from complaints import selectors
from complaints.api import ComplaintDetailOutput, ComplaintListApi
from complaints.models import Category, Channel, Priority, ProductLine
from kernel.db import rows_known
from kernel.errors import InvalidInput
from kernel.permissions import require_perm

from .pipeline import intake_receive
from .parsers.message import IntakeMessage


class CustomerInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    service_number = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                           default="")


class ComplaintCreateInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    received_at = serializers.DateTimeField(required=False)
    customer = CustomerInput()
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField()
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), required=False,
        allow_null=True, help_text="Category code; without one the rules and the classifier "
                                   "choose.")
    priority = serializers.ChoiceField(
        choices=Priority.choices, default=Priority.ORDINARY,
        help_text="The least priority: the grading rules may raise it, never lower it.")
    product_line = serializers.ChoiceField(choices=ProductLine.choices, required=False,
                                           allow_blank=True, default="")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                     default="")
    external_ref = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="",
        help_text="Your system's id of this complaint (call id, ticket number). Sending the "
                  "same channel and external_ref again returns the first complaint with 200 "
                  "instead of creating a second.")


class DeadlineOutput(serializers.Serializer):
    """One SLA clock of the complaint (see GET …/clocks/ for all their details)."""

    metric = serializers.CharField()
    state = serializers.CharField()
    due_at = serializers.DateTimeField()
    due_verified = serializers.BooleanField(
        help_text="False when the deadline falls in a year without official calendar data.")


class ComplaintCreateOutput(ComplaintDetailOutput):
    deadlines = DeadlineOutput(source="clocks", many=True, read_only=True)

    class Meta(ComplaintDetailOutput.Meta):
        fields = [*ComplaintDetailOutput.Meta.fields, "deadlines"]



class ComplaintListCreateApi(ComplaintListApi):
    def get_permissions(self):
        if self.request.method == "POST":
            return [require_perm("complaints.add_complaint")()]
        return super().get_permissions()

    @extend_schema(request=ComplaintCreateInput,
                   responses={201: ComplaintCreateOutput, 200: ComplaintCreateOutput})
    def post(self, request):
        """Record a complaint through the one intake path (intake.pipeline.intake_receive).

        201 with the category and priority the rules chose and the deadlines started; 200 with
        the first complaint when this channel and external_ref were received before.
        """
        data = ComplaintCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = intake_receive(message=_intake_message(data.validated_data),
                                    actor=request.user)
        except InvalidInput as error:  # named as this API names the field
            if error.field in API_FIELDS:
                error.field = API_FIELDS[error.field]
            raise
        if result.complaint is None:
            raise InvalidInput(_("This external_ref was received before and not recorded as a "
                                 "complaint (%(reason)s).") % {"reason": result.skipped_reason},
                               field="external_ref")
        if result.timeline is not None and selectors.complaint_in_scope(
                user=request.user, complaint=result.complaint):
            # Classified, graded, routed and given its deadlines in intake's transaction: the
            # answer shows the complaint as written, timeline and clocks included.
            complaint = result.complaint
            rows_known(complaint,
                       activities=sorted(result.timeline, key=lambda e: (e.created_at, e.id)),
                       attachments=[], clocks=sorted(result.clocks, key=lambda c: c.due_at))
        else:  # recorded before (a retry), or out of this user's scope (404 as ever)
            complaint = selectors.complaint_get_for_user(user=request.user,
                                                         reference=result.complaint.reference,
                                                         with_timeline=True)
        return Response(ComplaintCreateOutput(complaint, context={"request": request}).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)



# IntakeMessage's field names as ComplaintCreateInput names them.
API_FIELDS = {"customer_name": "customer.name", "customer_email": "customer.email",
              "service_number": "customer.service_number", "external_id": "external_ref",
              "category_code": "category"}


def _intake_message(values: dict) -> IntakeMessage:
    customer, category = values["customer"], values.get("category")
    return IntakeMessage(
        channel=values["channel"],
        external_id=values["external_ref"].strip() or f"api:{uuid.uuid4().hex}",
        received_at=values.get("received_at") or timezone.now(),
        description=values["description"], subject=values["subject"],
        customer_name=customer["name"], customer_phone=customer["phone"],
        customer_email=customer["email"], service_number=customer["service_number"],
        category_code=category.code if category else "", priority=values["priority"],
        product_line=values["product_line"], location=values["location"],
        metadata={"source": "api"})
