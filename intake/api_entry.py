"""Regulator batch imports over the API:

- ``POST /api/v1/intake/regulator-imports/`` (multipart ``file``): 202 with the import's id and
  where to follow it; a file that is not a CSV/XLSX batch with the expected header is 400 and
  nothing is stored.
- ``GET /api/v1/intake/regulator-imports/{id}/``: status, progress counts and the per-row
  report (``?outcome=created|skipped|refused`` filters the report).
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api_fields import RelatedSlug
from kernel.permissions import require_perm

from . import regulator_import as imports
from .models import RegulatorImport, RegulatorImportStatus


class RegulatorImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 or GB18030) or Excel .xlsx with the "
                                           "regulator's header row.")


class RegulatorImportAccepted(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RegulatorImportStatus.choices)
    status_url = serializers.CharField(help_text="GET it for progress and the report.")


class ReportRowOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row number as Excel shows it.")
    case_no = serializers.CharField(help_text="The regulator's case number (empty when the "
                                              "row was refused before it was read).")
    outcome = serializers.ChoiceField(choices=[(o, o) for o in imports.OUTCOMES])
    reference = serializers.CharField(help_text="The complaint created or found (TS…).")
    errors = serializers.ListField(child=serializers.CharField(),
                                   help_text="Why the row was refused.")


class RegulatorImportOutput(serializers.ModelSerializer):
    uploaded_by = RelatedSlug(slug_field="username", read_only=True)
    percent = serializers.IntegerField()
    report = serializers.SerializerMethodField()

    class Meta:
        model = RegulatorImport
        fields = ["id", "original_name", "status", "uploaded_by", "created_at", "started_at",
                  "finished_at", "total_rows", "processed_rows", "percent", "created_count",
                  "skipped_count", "refused_count", "error", "report"]

    @extend_schema_field(ReportRowOutput(many=True))
    def get_report(self, batch):
        rows = imports.report_rows(batch, self.context.get("outcome", ""))
        return ReportRowOutput(rows, many=True).data


class RegulatorImportCreateApi(APIView):
    permission_classes = [require_perm(imports.UPLOAD_PERMISSION)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="intake_regulator_import_create",
        summary="Upload a regulator transfer batch (CSV or XLSX)",
        request={"multipart/form-data": RegulatorImportInput},
        responses={202: RegulatorImportAccepted,
                   # The body is the common ValidationError (kernel/openapi.py).
                   400: OpenApiResponse(description="No file, or not a batch file; nothing "
                                                    "was stored.")})
    def post(self, request):
        data = RegulatorImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        batch = imports.regulator_import_create(
            actor=request.user, name=upload.name,
            data=upload.read(settings.INTAKE_REGULATOR_IMPORT_MAX_BYTES + 1))
        url = reverse("api-intake-regulator-import", args=[batch.id])
        return Response({"id": batch.id, "status": batch.status, "status_url": url},
                        status=202, headers={"Location": url})


class RegulatorImportDetailApi(APIView):
    permission_classes = [require_perm(imports.VIEW_PERMISSION)]

    @extend_schema(
        operation_id="intake_regulator_import_retrieve",
        summary="Progress and per-row report of a regulator batch import",
        parameters=[OpenApiParameter("outcome", str, enum=list(imports.OUTCOMES),
                                     description="Only report rows with this outcome.")],
        responses={200: RegulatorImportOutput})
    def get(self, request, import_id: int):
        batch = get_object_or_404(RegulatorImport.objects.select_related("uploaded_by"),
                                  pk=import_id)
        return Response(RegulatorImportOutput(
            batch, context={"request": request,
                            "outcome": request.query_params.get("outcome", "")}).data)
