"""Staff intake pages: the agents' entry form with the caller lookup, and regulator batch
imports (upload, progress, per-row report). Views parse, call one service or selector, render.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kernel.errors import InvalidInput
from kernel.permissions import staff_permission

from . import entry as entry_services
from . import regulator_import as imports
from .entry_forms import EntryForm, RegulatorUploadForm, store_names
from .models import RegulatorImport

# --- the entry form -------------------------------------------------------------------------


def complaint_url(reference: str) -> str | None:
    try:
        return reverse("complaint-detail", args=[reference])
    except NoReverseMatch:  # the complaint page is not installed: stay on the form
        return None


@staff_permission(entry_services.ENTRY_PERMISSION)
def entry(request):
    """GET: the empty form (?channel=phone|store|letter preselects). POST: record it."""
    form = EntryForm(request.POST or None, channel=request.GET.get("channel"))
    if request.method == "POST" and form.is_valid():
        try:
            result = entry_services.complaint_enter(actor=request.user, entry=form.entry())
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            reference = result.complaint.reference
            if result.duplicate:
                messages.info(request, _("This call was already recorded as %(reference)s; "
                                         "nothing new was saved.") % {"reference": reference})
            else:
                messages.success(request, _("Complaint %(reference)s recorded.")
                                 % {"reference": reference})
            target = complaint_url(reference)
            if target is None:
                channel = form.cleaned_data["channel"]
                return redirect(f"{reverse('intake-entry')}?{urlencode({'channel': channel})}")
            return redirect(target)
    history = None
    phone = form["phone"].value()
    if phone:
        history = entry_services.caller_history(user=request.user, phone=phone)
    return render(request, "intake/entry.html", {
        "form": form, "stores": store_names(), "history": history,
        "channel": form["channel"].value()})


@require_GET
@staff_permission(entry_services.ENTRY_PERMISSION)
def caller(request):
    """The htmx fragment under the phone field: the caller's recent complaints."""
    history = entry_services.caller_history(user=request.user,
                                            phone=request.GET.get("phone", ""))
    return render(request, "intake/entry_caller.html", {"history": history,
                                                        "typed": request.GET.get("phone", "")})


# --- regulator imports ----------------------------------------------------------------------


@staff_permission(imports.VIEW_PERMISSION)
def regulator_imports(request):
    """The list of batches and the upload form."""
    form = RegulatorUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm(imports.UPLOAD_PERMISSION):
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = imports.regulator_import_create(actor=request.user, name=upload.name,
                                                        data=_read(upload))
            except InvalidInput as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, _("“%(name)s” is being imported.")
                                 % {"name": batch.original_name})
                return redirect("intake-regulator-import", import_id=batch.id)
    batches = RegulatorImport.objects.select_related("uploaded_by").defer("report")[:50]
    return render(request, "intake/regulator_imports.html", {"form": form, "batches": batches})


def _read(upload) -> bytes:
    from django.conf import settings

    if upload.size > settings.INTAKE_REGULATOR_IMPORT_MAX_BYTES:
        return upload.read(settings.INTAKE_REGULATOR_IMPORT_MAX_BYTES + 1)  # refused for size
    return upload.read()


@staff_permission(imports.VIEW_PERMISSION)
def regulator_import(request, import_id: int):
    """One batch: a progress bar polled by htmx until it is done, then the per-row report."""
    batch = get_object_or_404(RegulatorImport.objects.select_related("uploaded_by"),
                              pk=import_id)
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        if batch.is_finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"  # show the finished report
            return response
        return render(request, "intake/regulator_import_progress.html", {"batch": batch})
    outcome = request.GET.get("outcome", "")
    if outcome not in imports.OUTCOMES:
        outcome = ""
    return render(request, "intake/regulator_import.html", {
        "batch": batch, "outcome": outcome, "rows": imports.report_rows(batch, outcome),
        "outcomes": [("", _("All rows"), batch.processed_rows),
                     *[(o, imports.outcome_label(o), batch_count) for o, batch_count in
                       (("refused", batch.refused_count), ("created", batch.created_count),
                        ("skipped", batch.skipped_count))]]})


@staff_permission(imports.VIEW_PERMISSION)
def regulator_import_report(request, import_id: int):
    """The report as CSV (the current filter applies)."""
    batch = get_object_or_404(RegulatorImport, pk=import_id)
    outcome = request.GET.get("outcome", "")
    response = HttpResponse(imports.report_csv(batch, outcome),
                            content_type="text/csv; charset=utf-8")
    suffix = f"-{outcome}" if outcome in imports.OUTCOMES else ""
    response["Content-Disposition"] = (
        f'attachment; filename="regulator-import-{batch.id}{suffix}.csv"')
    return response
