"""Who people are and what they may see: organisations, users, role memberships, API tokens, passwords and
login throttling, and the access rules (visible organisations, who holds a step, proxies)."""

__all__ = ["access", "accounts", "models", "throttle", "tokens"]
