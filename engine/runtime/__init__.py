"""The workflow runtime: compiling and deploying diagrams (hardened XML, the expression sandbox), serialising
workflow state, and the one cycle every state change of a case goes through (``cycle.CaseRun``: lock → load → run →
project → audit → save). It imports no domain package; they plug in through ``extensions`` at start-up."""

__all__ = ["bpmn_checks", "budget", "cycle", "deploy", "extensions", "health", "models", "open_counts", "projection",
           "sandbox", "schema", "serialization", "specs", "user_counts", "xmlsafe"]
