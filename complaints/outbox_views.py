"""The outbox (/outbox/): every message to customers, its state and errors; failed ones can be
sent again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import outbound
from .errors import DomainError
from .models import OutboundChannel, OutboundMessage, OutboundStatus
from .personal_data import mask_email, mask_phone

PAGE_SIZE = 50

# What the purposes written by the code mean; others are shown as they are.
PURPOSE_LABELS = {
    "acknowledgement": gettext_lazy("Acknowledgement of receipt"),
    "progress": gettext_lazy("Progress update"),
    "expected_date": gettext_lazy("New expected date"),
    "result": gettext_lazy("Result"),
}


def _masked(message: OutboundMessage) -> str:
    if message.channel == OutboundChannel.EMAIL:
        return mask_email(message.recipient)
    return mask_phone(message.recipient)


@login_required
@permission_required("complaints.view_outboundmessage", raise_exception=True)
def outbox(request):
    params = request.GET
    status = params.get("status", "")
    status = status if status in OutboundStatus.values else ""
    channel = params.get("channel", "")
    channel = channel if channel in OutboundChannel.values else ""
    purpose = params.get("purpose", "")[:30]
    reference = params.get("reference", "").strip()[:20]
    rows = outbound.outbox_messages(status=status, channel=channel, purpose=purpose,
                                    reference=reference)
    page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    for message in page:
        message.masked_recipient = _masked(message)
        message.purpose_label = PURPOSE_LABELS.get(message.purpose, message.purpose)
    purposes = sorted(set(outbound.outbox_purposes()) | set(PURPOSE_LABELS))
    query = params.copy()
    query.pop("page", None)
    return render(request, "outbox/outbox.html", {
        "page": page, "status": status, "channel": channel, "purpose": purpose,
        "reference": reference, "query": query.urlencode(),
        "statuses": OutboundStatus.choices, "channels": OutboundChannel.choices,
        "purposes": [(p, PURPOSE_LABELS.get(p, p)) for p in purposes],
        "can_retry": request.user.has_perm("complaints.change_outboundmessage"),
    })


@require_POST
@login_required
@permission_required("complaints.change_outboundmessage", raise_exception=True)
def outbox_retry(request, message_id: int):
    message = get_object_or_404(OutboundMessage.objects.select_related("complaint"),
                                pk=message_id)
    try:
        message = outbound.outbound_retry(message_id=message.id, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The message to the customer of %(reference)s is queued "
                                    "again and goes out from %(when)s.") % {
            "reference": message.complaint.reference,
            "when": _local(message.send_after)})
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(target)
    return redirect("outbox")


def _local(moment) -> str:
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")
