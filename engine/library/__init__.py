"""The process library's rules: DMN decision tables and the data computed for them, refusals at filing
(guards), collective decisions (meetings), 会签/或签 (multisign), deadlines and timers, and the catalogue of processes
a society may start. ``hooks`` is what the library plugs into the runtime."""

__all__ = ["catalogue", "foreign", "holidays", "hooks", "meetings", "models", "multisign", "notices", "rules", "timers"]
