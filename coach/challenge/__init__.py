"""Managers: the Pivot to Leadership challenge for their team, drafted, revised and checked.

Modules are imported by what they are called (`coach.challenge.drafting`); the package itself
imports nothing, so a process that never drafts never pays for it."""
