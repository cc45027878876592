"""What a manager chooses for a challenge message: where it is posted and how it sounds.

One list for the engine, the data file's schema, the CLI and the page. It imports nothing but
typing, so the CLI can offer the choices without loading the engine.
"""

from __future__ import annotations

from typing import Literal, get_args

Channel = Literal["slack", "email"]
Tone = Literal["warm", "direct"]

CHANNELS: tuple[Channel, ...] = get_args(Channel)
TONES: tuple[Tone, ...] = get_args(Tone)
