"""HTTP API for classification: why a complaint got its category and grade, the classifier's
suggestions, an agent's override, and the rules' "try it"."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors as complaint_selectors
from complaints.api import CategoryOutput, ComplaintDetailOutput, DepartmentOutput
from complaints.models import Category, Channel, CustomerTier, Priority
from kernel.api_fields import RelatedSlug
from kernel.permissions import require_perm

from . import explain, selectors, services
from .models import ClassificationOverride, Flag

# --- output ---------------------------------------------------------------------------------


class SuggestionOutput(serializers.Serializer):
    category = CategoryOutput()
    confidence = serializers.FloatField(help_text="Probability, 0 to 1; the three sum to at "
                                                  "most 1.")


class SuggestionsOutput(serializers.Serializer):
    model_version = serializers.IntegerField(allow_null=True,
                                             help_text="null when no classifier is trained yet")
    suggestions = SuggestionOutput(many=True)
    current_category = CategoryOutput(allow_null=True)
    category_source = serializers.CharField(
        help_text="Who decided the current category: rule, classifier, intake (set when "
                  "created), agent (an override), or empty.")


class ReasonOutput(serializers.Serializer):
    kind = serializers.CharField()
    values = serializers.ListField(child=serializers.CharField())


class DecisionOutput(serializers.Serializer):
    field = serializers.ChoiceField(choices=["category", "priority", "flag", "department"])
    value = serializers.CharField()
    applied = serializers.BooleanField(help_text="false: the rule fired but an earlier decision "
                                                 "stood (first category wins, priority never "
                                                 "goes down).")
    rule_id = serializers.IntegerField(allow_null=True)
    rule = serializers.CharField()
    reasons = ReasonOutput(many=True)
    text = serializers.CharField(help_text="The decision and its reason in words.")


class FiredRuleOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    position = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class OverrideOutput(serializers.ModelSerializer):
    actor = RelatedSlug(slug_field="username", read_only=True)
    old_category = RelatedSlug(slug_field="code", read_only=True)
    new_category = RelatedSlug(slug_field="code", read_only=True)
    old_priority = serializers.CharField(help_text="ordinary, urgent or major")
    new_priority = serializers.CharField(help_text="ordinary, urgent or major")

    class Meta:
        model = ClassificationOverride
        fields = ["actor", "old_category", "new_category", "old_priority", "new_priority",
                  "reason", "created_at"]


class ClassificationOutput(serializers.Serializer):
    classified_at = serializers.DateTimeField(allow_null=True)
    category_source = serializers.CharField()
    rules_fired = FiredRuleOutput(many=True)
    decisions = DecisionOutput(many=True)
    overrides = OverrideOutput(many=True)


# --- per complaint --------------------------------------------------------------------------


class ComplaintSuggestionsApi(APIView):
    """The classifier's top three categories for this complaint. Rules win over suggestions:
    the complaint's category is whatever rules (or an agent) decided; these are hints."""

    permission_classes = [require_perm("intake.view_complaintclassification")]

    @extend_schema(responses=SuggestionsOutput)
    def get(self, request, reference: str):
        complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                               reference=reference)
        version, found = selectors.suggestions_for_text(selectors.complaint_text(complaint))
        record = selectors.complaint_classification(complaint=complaint)
        return Response(SuggestionsOutput({
            "model_version": version, "current_category": complaint.category,
            "category_source": selectors.category_source(complaint=complaint, record=record),
            "suggestions": [{"category": s.category, "confidence": s.confidence}
                            for s in found]}).data)


class OverrideInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you last read; a "
                                       "stale version is refused with 409.")
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), required=False,
        allow_null=True, help_text="A second-level category code.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False,
                                       allow_blank=True)
    reason = serializers.CharField(max_length=2000)


class ComplaintClassificationApi(APIView):
    """GET: why the complaint has its category, priority and flags (rules fired, each decision
    with its reason, overrides). POST: an agent overrides category and/or priority."""

    def get_permissions(self):
        perm = "intake.override_classification" if self.request.method == "POST" else \
            "intake.view_complaintclassification"
        return [require_perm(perm)()]

    @extend_schema(responses=ClassificationOutput)
    def get(self, request, reference: str):
        complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                               reference=reference)
        record = selectors.complaint_classification(complaint=complaint)
        decisions = record.decisions if record else []
        names = explain.Names(decisions)
        return Response(ClassificationOutput({
            "classified_at": record.classified_at if record else None,
            "category_source": selectors.category_source(complaint=complaint, record=record),
            "rules_fired": explain.fired_with_text(record.rules_fired if record else [], names),
            "decisions": explain.decisions_with_text(decisions, names),
            "overrides": selectors.complaint_overrides(complaint=complaint)}).data)

    @extend_schema(request=OverrideInput, responses={200: ComplaintDetailOutput})
    def post(self, request, reference: str):
        complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                               reference=reference)
        data = OverrideInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.classification_override(
            complaint_id=complaint.id, actor=request.user,
            expected_version=data.validated_data["version"],
            category=data.validated_data.get("category"),
            priority=data.validated_data.get("priority") or None,
            reason=data.validated_data["reason"])
        complaint = complaint_selectors.complaint_get_for_user(
            user=request.user, reference=reference, with_timeline=True)
        return Response(ComplaintDetailOutput(complaint, context={"request": request}).data)


# --- try it ---------------------------------------------------------------------------------


class TryInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    tier = serializers.ChoiceField(choices=CustomerTier.choices, default=CustomerTier.ORDINARY)
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all(),
                                            required=False, allow_null=True,
                                            help_text="The category already set, if any.")
    recent_complaints = serializers.IntegerField(
        min_value=1, max_value=999, default=1,
        help_text="The customer's complaints in the rules' look-back, this one included.")


class TryResultOutput(serializers.Serializer):
    category = CategoryOutput(allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices)
    flags = serializers.ListField(child=serializers.ChoiceField(choices=Flag.choices))
    department = DepartmentOutput(allow_null=True)


class TryOutput(serializers.Serializer):
    fired = FiredRuleOutput(many=True)
    decisions = DecisionOutput(many=True)
    result = TryResultOutput()
    model_version = serializers.IntegerField(allow_null=True)
    suggestions = SuggestionOutput(many=True)


class ClassificationTryApi(APIView):
    """Run the enabled rules on a sample text without saving anything."""

    permission_classes = [require_perm("intake.view_rule")]

    @extend_schema(request=TryInput, responses=TryOutput)
    def post(self, request):
        data = TryInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(TryOutput(selectors.classification_preview(**data.validated_data)).data)
