"""Checks on what goes out: every coach reply, from any tier, before anyone sees it.

(What comes in, the seller's message, is `coach.safety`.)"""
