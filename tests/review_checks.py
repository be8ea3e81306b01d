"""The check the 秘书长审核 form (forms/sg_review.json) requires for 同意, read from the form itself.

Test helpers that approve a step call ``approval_data``: when the caller gave no data for a 秘书长审核 step,
the required tick is filled in, so a walk through a process reads like the reviewer's real submission.
Tests that approve without the tick pass ``SG_UNTICKED`` (an explicit answer the helper leaves alone)."""
from __future__ import annotations

from typing import Any

import forms as form_lib

SG_FORM = "sg_review"
SG_CHECKS: dict[str, Any] = dict(form_lib.load_forms()[SG_FORM][form_lib.REQUIRED_FOR_APPROVE])
SG_UNTICKED: dict[str, Any] = {name: False for name in SG_CHECKS}


def approval_data(form_key: str | None, decision: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """``data``, or the 秘书长审核 check when approving that form with no data given."""
    if form_key == SG_FORM and decision == "approve" and not data:
        return dict(SG_CHECKS)
    return dict(data or {})


def approval_data_for_form(form: dict[str, Any] | None, decision: str,
                           data: dict[str, Any] | None) -> dict[str, Any]:
    """As ``approval_data``, for a task whose form schema is known (the API's task detail shows it)."""
    is_sg = form is not None and form.get(form_lib.REQUIRED_FOR_APPROVE) == SG_CHECKS
    return approval_data(SG_FORM if is_sg else None, decision, data)
