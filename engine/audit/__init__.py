"""The auditor's side of the hash-chained trail (appended by ``engine.journal``): checkpoints, scoped search
and exports, case dossiers, and reports."""

__all__ = ["checkpoints", "dossier", "models", "reports", "search"]
