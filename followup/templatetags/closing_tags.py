"""{% closing_feedback complaint as fb %}: what the customer answered and may still answer (the
result, the survey), for the tracking page and the staff complaint page."""

from django import template

from followup.selectors import feedback_state

register = template.Library()


@register.simple_tag
def closing_feedback(complaint):
    return feedback_state(complaint)
