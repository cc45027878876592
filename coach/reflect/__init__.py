"""Sellers: one reflection turn (dialogue, reading `coach.turns.Turn`s; its result in results),
the session so far (history), what a model tier is sent and how its reply is taken (prompting,
model_reply, model_errors), the scripted coach, and the listening composer that reflects the
seller's words back in the coach's own.

Its public names are below; each loads with its module on first use (coach/lazy.py), so
importing the package costs nothing."""

from typing import TYPE_CHECKING

from coach.lazy import public

if TYPE_CHECKING:  # the public names; each loads with its module on first use
    from coach.reflect.dialogue import (
        Coach as Coach,
        CoachOptions as CoachOptions,
    )
    from coach.reflect.listening import (
        ListeningScript as ListeningScript,
    )
    from coach.reflect.results import (
        EmptyMessage as EmptyMessage,
        TurnResult as TurnResult,
    )
    from coach.reflect.scripted import (
        CoachingScript as CoachingScript,
    )
    from coach.reflect.session import (
        ReflectionSession as ReflectionSession,
        result_of as result_of,
    )

__all__, __getattr__ = public(__name__, __file__)
