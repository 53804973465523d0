"""Closing the loop in the API: the customer's answer and rating as told to staff, and the
callback queue. Thin: validate, call one service or selector, serialise."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors
from followup import selectors as closing_selectors
from followup.callbacks import callback_attempt_record, callback_can_work
from followup.common import COMMENT_MAX
from followup.models import (
    CallbackAttempt,
    CallbackOutcome,
    CallbackStatus,
    CallbackTask,
    FeedbackChannel,
    FollowUpTask,
    ResultAnswer,
    ResultConfirmation,
    SatisfactionSurvey,
    SurveyReason,
)
from followup.result_notice import result_answer
from followup.survey import follow_up_complete, survey_submit
from kernel.api_fields import RelatedSlug
from kernel.permissions import require_perm
from kernel.personal_data import mask_name, mask_phone


class ConfirmationInput(serializers.Serializer):
    solved = serializers.BooleanField(help_text="true: the customer says the problem is "
                                                "solved (closes, or waits for the callback); "
                                                "false: not solved (reopens).")
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=COMMENT_MAX)


class ConfirmationOutput(serializers.ModelSerializer):
    reference = serializers.CharField(source="complaint.reference")
    complaint_status = serializers.CharField(source="complaint.status")
    answer = serializers.ChoiceField(choices=ResultAnswer.choices)
    channel = serializers.ChoiceField(choices=FeedbackChannel.choices)

    class Meta:
        model = ResultConfirmation
        fields = ["reference", "cycle", "answer", "channel", "comment", "complaint_status",
                  "created_at"]


class ComplaintConfirmationApi(APIView):
    """Record the customer's answer to the result (told to staff, e.g. on the phone)."""

    permission_classes = [require_perm("complaints.change_complaint")]

    @extend_schema(request=ConfirmationInput, responses={
        201: ConfirmationOutput,
        409: OpenApiResponse(description="Already answered, or not resolved.")})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = ConfirmationInput(data=request.data)
        data.is_valid(raise_exception=True)
        confirmation = result_answer(
            complaint_id=complaint.id, actor=request.user, channel=FeedbackChannel.STAFF,
            answer=ResultAnswer.SOLVED if data.validated_data["solved"] else
            ResultAnswer.NOT_SOLVED, comment=data.validated_data["comment"])
        confirmation.complaint.refresh_from_db(fields=["status"])
        return Response(ConfirmationOutput(confirmation).data, status=status.HTTP_201_CREATED)


class SurveyInput(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=SurveyReason.choices),
                                    required=False, default=list)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=COMMENT_MAX)


class SurveyOutput(serializers.ModelSerializer):
    reference = serializers.CharField(source="complaint.reference")
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=SurveyReason.choices))
    channel = serializers.ChoiceField(choices=FeedbackChannel.choices)

    class Meta:
        model = SatisfactionSurvey
        fields = ["reference", "stars", "reasons", "comment", "channel", "answered_at"]


class ComplaintSurveyApi(APIView):
    """The complaint's satisfaction survey: read it, or record the customer's answer (once)."""

    def get_permissions(self):
        perm = ("complaints.view_complaint" if self.request.method == "GET"
                else "complaints.change_complaint")
        return [require_perm(perm)()]

    @extend_schema(responses={200: SurveyOutput,
                              404: OpenApiResponse(description="Not rated (yet).")})
    def get(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        survey = SatisfactionSurvey.objects.filter(complaint=complaint).first()
        if survey is None:
            return Response({"detail": "Not rated yet.", "code": "not_found"}, status=404)
        return Response(SurveyOutput(survey).data)

    @extend_schema(request=SurveyInput, responses={
        201: SurveyOutput, 409: OpenApiResponse(description="Already rated.")})
    def post(self, request, reference: str):
        complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
        data = SurveyInput(data=request.data)
        data.is_valid(raise_exception=True)
        survey = survey_submit(complaint_id=complaint.id, actor=request.user,
                                       channel=FeedbackChannel.STAFF, **data.validated_data)
        return Response(SurveyOutput(survey).data, status=status.HTTP_201_CREATED)


# --- callbacks -------------------------------------------------------------------------------


class CallbackAttemptOutput(serializers.ModelSerializer):
    actor = RelatedSlug(slug_field="username", read_only=True)
    result = serializers.ChoiceField(choices=CallbackOutcome.choices)

    class Meta:
        model = CallbackAttempt
        fields = ["id", "result", "note", "actor", "attempted_at"]


class CallbackOutput(serializers.ModelSerializer):
    reference = serializers.CharField(source="complaint.reference")
    complaint_status = serializers.CharField(source="complaint.status")
    customer_name = serializers.SerializerMethodField()
    customer_phone = serializers.SerializerMethodField(help_text="Masked.")
    assignee = RelatedSlug(slug_field="username", read_only=True)
    handler = RelatedSlug(slug_field="username", read_only=True)
    attempts = CallbackAttemptOutput(many=True, read_only=True)

    class Meta:
        model = CallbackTask
        fields = ["id", "reference", "complaint_status", "customer_name", "customer_phone",
                  "cycle", "reason", "assignee", "handler", "scheduled_at", "due_at", "status",
                  "outcome", "created_at", "completed_at", "attempts"]

    def get_customer_name(self, task) -> str:
        return mask_name(task.complaint.customer.name)

    def get_customer_phone(self, task) -> str:
        return mask_phone(task.complaint.customer.phone)


class CallbackListApi(generics.ListAPIView):
    """My callback tasks (open by default); supervisors add `?all=1` for everyone's."""

    serializer_class = CallbackOutput
    permission_classes = [require_perm(closing_selectors.CALLBACK_PERMISSION)]
    filter_backends = []
    queryset = CallbackTask.objects.none()

    @extend_schema(parameters=[
        OpenApiParameter("status", str, enum=list(CallbackStatus.values)),
        OpenApiParameter("all", bool, description="Everyone's tasks (supervisors).")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        status_filter = params.get("status", CallbackStatus.OPEN)
        if status_filter not in CallbackStatus.values:
            status_filter = CallbackStatus.OPEN
        return closing_selectors.callback_list(
            user=self.request.user, status=status_filter,
            everyone=params.get("all") in {"1", "true"})


class CallbackDetailApi(APIView):
    permission_classes = [require_perm(closing_selectors.CALLBACK_PERMISSION)]

    @extend_schema(responses=CallbackOutput)
    def get(self, request, task_id: int):
        task = closing_selectors.callback_get_for_user(user=request.user, task_id=task_id)
        if not callback_can_work(request.user, task):
            self.permission_denied(request, message="This callback is assigned to someone else.")
        return Response(CallbackOutput(task).data)


class AttemptInput(serializers.Serializer):
    result = serializers.ChoiceField(choices=CallbackOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CallbackAttemptApi(APIView):
    """Record a call: reached and satisfied (closes), reached and not satisfied (reopens),
    unreachable (on a third different day: closes as unreachable). Contact hours only."""

    permission_classes = [require_perm(closing_selectors.CALLBACK_PERMISSION)]

    @extend_schema(request=AttemptInput, responses={201: CallbackOutput})
    def post(self, request, task_id: int):
        closing_selectors.callback_get_for_user(user=request.user, task_id=task_id)
        data = AttemptInput(data=request.data)
        data.is_valid(raise_exception=True)
        callback_attempt_record(task_id=task_id, actor=request.user,
                                        **data.validated_data)
        task = closing_selectors.callback_get_for_user(user=request.user, task_id=task_id)
        return Response(CallbackOutput(task).data, status=status.HTTP_201_CREATED)


class ReviewOutput(serializers.ModelSerializer):
    reference = serializers.CharField(source="complaint.reference", read_only=True)
    stars = serializers.IntegerField(source="complaint.satisfaction_survey.stars", read_only=True,
                                     allow_null=True, default=None)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True,
                                     default=None)

    class Meta:
        model = FollowUpTask
        fields = ["id", "reference", "kind", "stars", "assignee", "note", "status", "created_at",
                  "completed_at"]


class ReviewListApi(generics.ListAPIView):
    """Open low-score reviews (supervisors)."""

    serializer_class = ReviewOutput
    permission_classes = [require_perm("followup.change_followuptask")]
    queryset = FollowUpTask.objects.none()

    def get_queryset(self):
        return closing_selectors.follow_up_list(user=self.request.user)


class ReviewDoneInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class ReviewDoneApi(APIView):
    """Record what the review of a low score found or did; the note goes on the timeline."""

    permission_classes = [require_perm("followup.change_followuptask")]

    @extend_schema(request=ReviewDoneInput, responses={200: ReviewOutput})
    def post(self, request, task_id: int):
        data = ReviewDoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            task = follow_up_complete(task_id=task_id, actor=request.user,
                                              note=data.validated_data["note"])
        except FollowUpTask.DoesNotExist:
            raise Http404 from None
        return Response(ReviewOutput(task).data)
