"""Cases: filing one and deciding its tasks through the workflow cycle, the inbox and case queries,
attachments and 暂存, notifications (in-app and e-mail), and the timer worker."""

__all__ = ["api_views", "attachments", "confidential", "form_rules", "inbox", "mailer", "models", "notify", "operations", "queries", "route", "start_drafts", "start_files", "worker"]
