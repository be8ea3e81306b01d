"""Engine start-up: the domain packages register their extensions with the runtime, in this order.

Call ``start()`` once per process before any workflow cycle runs (the web app factory, the CLI and the test
session do); calling it again changes nothing.
"""
from __future__ import annotations

from engine.cases.notify import update_task_notifications
from engine.cases.operations import basic_authority
from engine.library import hooks as library
from engine.library.foreign import check_ngo_confirmed
from engine.library.notices import check_notice_period
from engine.library.rules import prepare_sources, store_tables
from engine.review import separation
from engine.review.task_ops import signer_interceptor
from engine.runtime.extensions import Extensions, install


def extensions() -> Extensions:
    return Extensions(
        step_properties=[library.deploy_properties, separation.deploy_check],
        before_compile=[prepare_sources],
        after_compile=[store_tables],
        tasks_opened=[library.tasks_opened, update_task_notifications],
        authorities=[basic_authority, separation.separation_authority],
        interceptors=[library.check_step_rules, check_notice_period, check_ngo_confirmed,
                      signer_interceptor],
    )


def start() -> None:
    """Register the domain packages with the runtime (idempotent)."""
    install(extensions())
