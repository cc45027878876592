"""Coaches: a per-turn review of a reflection transcript, a scorecard and next questions."""
