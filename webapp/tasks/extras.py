"""What the task page shows beyond the decision form: 退回 targets, 委派 reply, 转办/委派/加签 choices."""
from __future__ import annotations

from typing import Any

from engine.review import case_ops as review_ops
from engine.review import phrases as phrases
from engine.review import pickers as pickers
from engine.review import task_ops as task_ops
from engine.runtime.models import HumanTask

from ..extensions import db_session
from .current import me


def task_extras(row: HumanTask, may_act: bool) -> dict[str, Any]:
    session, user = db_session(), me()
    if row.status != "open":
        return {"return_options": [], "reply_to": None, "signers": [], "transfer_to": [], "people": [],
                "sign_to": [], "phrases": [], "transferred": None, "delegation": None}
    delegation = task_ops.open_delegation(session, row)
    replying = delegation is not None and delegation.delegate_id == user.id
    acting = may_act and not replying and row.kind == "review"
    transfer = task_ops.latest_transfer(session, row)
    return {
        "return_options": review_ops.return_options(session, user, row.id) if acting else [],
        "reply_to": delegation.owner if replying else None,
        "delegation": delegation if replying else None,
        "transferred": transfer if transfer is not None and transfer.delegate_id == user.id else None,
        "signers": task_ops.pending_signers(session, row),
        "transfer_to": pickers.task_candidates(session, user, row, pickers.Purpose.TRANSFER) if acting else [],
        "people": pickers.task_candidates(session, user, row, pickers.Purpose.DELEGATE) if acting else [],
        "sign_to": pickers.task_candidates(session, user, row, pickers.Purpose.SIGNER) if acting else [],
        "phrases": phrases.phrases_for(session, user) if may_act else [],
    }
