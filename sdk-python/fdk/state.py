"""State a flow step hands to the steps forked from it (``fork`` edges): live objects, no copy.

The producer keeps objects by name::

    fdk.state.keep("portfolio", portfolio)

Its instance is kept after the call, and a consumer's call runs in a child forked from it, where
``fdk.state.get("portfolio")`` is that very object (the child's copy-on-write view of the
producer's memory: nothing is serialised). A consumer with fork edges from several producers is
forked from one of them; each other one's result is copied once into that instance (parsed there,
before the consumer's children are forked) and read by step name, ``fdk.state.get("<step>")``.
Outside a fork edge nothing is kept: a normal instance serves many calls, and its kept objects are
dropped before each one.
"""

from __future__ import annotations

import sys

# Type names for annotations only: importing typing would slow every cold start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Set

_kept: Dict[str, Any] = {}
# Results of other producers the platform copied into this kept instance for one consumer (by the
# key it gave them): the children forked with that key hold them beside the kept objects.
_copied: Dict[str, Dict[str, Any]] = {}
# The size estimate looks at this many objects at most, on the producer's call path (walking a
# big state whole cost 44 ms for FINRA's market data on a loaded 2-core machine): a container's
# items past the walk are counted at the mean size of those walked.
_SIZE_WALK_LIMIT = 1000
# A container's items walked before the rest are estimated from them.
_SAMPLE = 32


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
    _copied.clear()


def copy_in(consumer: str, results: Dict[str, Any]) -> None:
    """Holds ``results`` (step name -> result) for the children forked with the key ``consumer``
    (the platform's copy of a consumer's other producers' results, already parsed)."""
    _copied[consumer] = results


def adopt_copied(consumer: Optional[str]) -> None:
    """In a child forked with the key ``consumer``: its copied results become readable with
    ``get`` by step name (replacing a kept object of the same name)."""
    results = _copied.get(consumer) if consumer else None
    if results:
        _kept.update(results)


def kept_bytes() -> int:
    """An estimate of the memory the kept objects hold: the platform forks a consumer of several
    producers from the one that kept the most. Looks at ``_SIZE_WALK_LIMIT`` objects at most."""
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
        items = obj.items()
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = obj
    else:
        return size
    total = len(items)
    walked = 0
    inner = 0
    share = max(1, budget[0] // _SAMPLE)  # a big container leaves budget for its siblings
    for item in items:
        if walked >= share or budget[0] <= 0:
            break
        walked += 1
        if isinstance(obj, dict):
            inner += _size_of(item[0], seen, budget) + _size_of(item[1], seen, budget)
        else:
            inner += _size_of(item, seen, budget)
    if walked and walked < total:
        inner = inner * total // walked
    return size + inner
