"""The report figures through the API (/api/v1/reports/…): the same selectors as the pages,
so the numbers cannot differ."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.permissions import require_perm

from . import selectors
from .forms import report_filter_from
from .models import ReportRun

FILTER_PARAMETERS = [
    OpenApiParameter("received_after", OpenApiTypes.DATE,
                     description="First day (Asia/Shanghai), default 6 days before the last."),
    OpenApiParameter("received_before", OpenApiTypes.DATE,
                     description="Last day, included (default today)."),
    OpenApiParameter("department", str, description="Department code; includes sub-departments."),
    OpenApiParameter("channel", str, description="Channel code."),
    OpenApiParameter("category", str,
                     description="Category code; a top-level code includes its children; "
                                 "`none` for complaints without a category."),
]


def _filter(request):
    report_filter, form = report_filter_from(request.query_params)
    if report_filter is None:
        raise ValidationError(form.errors.get_json_data())
    return report_filter


class DashboardApi(APIView):
    """Every dashboard figure; each count carries `url`, the complaint list behind it."""

    permission_classes = [require_perm("reports.view_reports")]

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(selectors.dashboard(_filter(request)))


class PerformanceApi(APIView):
    """Agents' or departments' figures: received, resolved, mean working hours to resolve,
    resolution deadlines met, average satisfaction."""

    permission_classes = [require_perm("reports.view_reports")]

    @extend_schema(parameters=FILTER_PARAMETERS + [
        OpenApiParameter("by", str, enum=["agent", "department"], default="agent")],
        responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        by = request.query_params.get("by", "agent")
        if by not in ("agent", "department"):
            raise ValidationError({"by": ["agent or department"]})
        return Response({"by": by,
                         "rows": selectors.performance(_filter(request), by=by)})


class ReportRunOutput(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = ["id", "kind", "period_start", "period_end", "sent_at", "download_url"]

    def get_download_url(self, run) -> str | None:
        return reverse("reports:scheduled-download", args=[run.pk]) if run.file else None


class ScheduledListApi(APIView):
    """The weekly and monthly summaries sent so far (newest first, at most 100)."""

    permission_classes = [require_perm("reports.view_reportrun")]

    @extend_schema(responses={200: ReportRunOutput(many=True)})
    def get(self, request):
        return Response(ReportRunOutput(ReportRun.objects.all()[:100], many=True).data)
