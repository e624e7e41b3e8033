"""State a flow step hands to the steps forked from it (``fork`` edges): live objects, no copy.

The producer keeps objects by name::

    fdk.state.keep("portfolio", portfolio)

Its instance is kept after the call, and a consumer's call runs in a child forked from it, where
``fdk.state.get("portfolio")`` is that very object (the child's copy-on-write view of the
producer's memory: nothing is serialised). Outside a fork edge nothing is kept: a normal instance
serves many calls, and its kept objects are dropped before each one.
"""

from __future__ import annotations

import sys

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Set

_kept: Dict[str, Any] = {}
# Bounds the walk that sizes kept containers: a huge list of small objects is estimated from
# this many of them rather than walked to the end on the call's path.
_SIZE_WALK_LIMIT = 10000


def keep(name: str, obj: Any) -> None:
    """Keeps ``obj`` under ``name`` for the steps forked from this one (replacing a kept one)."""
    if not isinstance(name, str) or not name:
        raise ValueError("fdk.state.keep needs a non-empty name")
    _kept[name] = obj


def get(name: str) -> Any:
    """The object the producer kept under ``name``: KeyError when it kept none by that name
    (the consumer was not forked from it, or the edge is ``pass: copy``)."""
    try:
        return _kept[name]
    except KeyError:
        raise KeyError("no state kept as {!r} (kept: {}); fdk.state.get reads what the step this "
                       "one is forked from kept (a pass: fork edge)".format(
                           name, ", ".join(sorted(_kept)) or "nothing")) from None


def names() -> Set[str]:
    return set(_kept)


def clear() -> None:
    """Drops every kept object (an instance that serves the next, unrelated call)."""
    _kept.clear()


def kept_bytes() -> int:
    """An estimate of the memory the kept objects hold: the platform forks a consumer of several
    producers from the one that kept the most."""
    seen: Set[int] = set()
    budget = [_SIZE_WALK_LIMIT]
    return sum(_size_of(obj, seen, budget) for obj in _kept.values())


def _size_of(obj: Any, seen: Set[int], budget: list) -> int:
    if id(obj) in seen or budget[0] <= 0:
        return 0
    seen.add(id(obj))
    budget[0] -= 1
    nbytes = getattr(obj, "nbytes", None)  # numpy arrays, memoryviews: their buffer
    if isinstance(nbytes, int):
        return nbytes
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_size_of(k, seen, budget) + _size_of(v, seen, budget)
                    for k, v in list(obj.items()))
    elif isinstance(obj, (list, tuple, set, frozenset)):
        size += sum(_size_of(item, seen, budget) for item in list(obj))
    return size
