"""Sellers: one reflection turn (dialogue), the scripted coach, reading a session, and the
listening composer that reflects the seller's words back in the coach's own.

Modules are imported by what they are called (`coach.reflect.dialogue`), so the package costs
nothing to import."""
