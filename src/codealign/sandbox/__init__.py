"""Run untrusted generated code: a pool of jailed workers forking a child per program."""

from codealign.sandbox.pool import ISOLATIONS, Limits, Sandbox, SandboxConfig, SandboxUnavailable, Verdict

__all__ = ["ISOLATIONS", "Limits", "Sandbox", "SandboxConfig", "SandboxUnavailable", "Verdict"]
