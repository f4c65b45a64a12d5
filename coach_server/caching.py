"""A least-recently-used cache bounded by its number of entries *and* by the bytes they hold.

Counting entries alone lets one client fill a cache of 4,000 analysed messages with 20,000-character ones
(4.6 MB each); every cache that keeps what requests bring is bounded here by an estimate of its entries'
sizes as well. An entry larger than the whole budget is not kept at all. Imports nothing of the package:
any layer may use it.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar, overload

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SizedLRU(Generic[K, V]):
    def __init__(self, max_items: int, max_bytes: int, size_of: Callable[[K, V], int]):
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.size_of = size_of
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0  # the estimated size of what is held now

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V) -> None:
        size = self.size_of(key, value)
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        if size > self.max_bytes:
            return  # would push out everything else and still not fit
        self._items[key] = (value, size)
        self.bytes += size
        while len(self._items) > self.max_items or self.bytes > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped

    def pop(self, key: K) -> V | None:
        found = self._items.pop(key, None)
        if found is None:
            return None
        self.bytes -= found[1]
        return found[0]

    def newest(self) -> Iterator[V]:
        """The values, most recently used first."""
        for value, _ in reversed(self._items.values()):
            yield value

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


class cached_property(Generic[V]):  # (named as the functools one it stands in for)
    """`functools.cached_property` without its lock: Python 3.11's takes an RLock on every first read, and
    a keystroke makes a dozen first reads of a new draft's facts (3.12 dropped the lock too). Two threads
    reading at once may both compute: the facts cached this way are pure, so either answer is the answer."""

    def __init__(self, func: Callable[[Any], V]):
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[V]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> V: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> V | cached_property[V]:
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value
