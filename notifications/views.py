"""The outbox (/outbox/): every message to customers, its state and errors; failed ones can be
sent again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kernel.display import local_minute
from kernel.errors import DomainError
from kernel.http import query_without, redirect_to_next
from kernel.personal_data import mask_email, mask_phone
from notifications import outbound
from notifications.models import OutboundChannel, OutboundMessage, OutboundStatus

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
@permission_required("notifications.view_outboundmessage", raise_exception=True)
def outbox(request):
    params = request.GET
    status = params.get("status", "")
    status = status if status in OutboundStatus.values else ""
    channel = params.get("channel", "")
    channel = channel if channel in OutboundChannel.values else ""
    purpose = params.get("purpose", "")[:30]
    reference = params.get("reference", "").strip()[:20]
    rows = outbound.outbox_messages(status=status, channel=channel, purpose=purpose,
                                    reference=reference, user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    for message in page:
        message.masked_recipient = _masked(message)
        message.purpose_label = PURPOSE_LABELS.get(message.purpose, message.purpose)
    purposes = sorted(set(outbound.outbox_purposes()) | set(PURPOSE_LABELS))
    return render(request, "outbox/outbox.html", {
        "page": page, "status": status, "channel": channel, "purpose": purpose,
        "reference": reference, "query": query_without(params, "page"),
        "statuses": OutboundStatus.choices, "channels": OutboundChannel.choices,
        "purposes": [(p, PURPOSE_LABELS.get(p, p)) for p in purposes],
        "can_retry": request.user.has_perm("notifications.change_outboundmessage"),
    })


@require_POST
@login_required
@permission_required("notifications.change_outboundmessage", raise_exception=True)
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
            "when": local_minute(message.send_after)})
    return redirect_to_next(request, "outbox")
