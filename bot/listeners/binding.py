"""Module-level listener callbacks bound to the services they work with.

Bolt passes a listener the arguments its signature names (`body`, `respond`, `client`…), read
with `inspect.getfullargspec`: a `functools.partial` that fixes the first argument,
`services`, shows Bolt exactly the rest. (Bolt's context cannot carry the services to lazy
listeners: it deep-copies what it hands them.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack

from bot.services import Services


def ack_at_once(ack: Ack) -> None:
    """The ack of a lazy listener: at once, in the request's thread; the work follows."""
    ack()


def bind(callback: Callable[..., Any], services: Services) -> Callable[..., Any]:
    """`callback(services, **bolt_arguments)` as a Bolt listener."""
    bound = partial(callback, services)
    # Bolt names lazy listeners in its logs (and matches them by name in FaaS mode).
    bound.__name__ = callback.__name__  # type: ignore[attr-defined]
    return bound
