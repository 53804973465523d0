"""Every created complaint is classified, graded and routed right after its creation commits,
whichever channel or endpoint created it."""

from complaints.events import ComplaintEvent, EventKind, from_pipeline

from . import services


def on_complaint_changed(event: ComplaintEvent) -> None:
    # After commit, in the creating process: the creator's response already shows the result.
    # If this fails (the error is logged), the periodic sweep classifies the complaint later;
    # complaint_classify runs once per complaint, so a repeat changes nothing.
    if event.kind == EventKind.CREATED and not from_pipeline(event):
        # Once the category is known, a possible duplicate is linked (once; see
        # intake/duplicates.py), in the classification's transaction.
        services.complaint_classify(complaint_id=event.complaint_id, link_duplicate=True)
