"""Plain records returned by the client (decoupled from the generated protobuf classes)."""

from __future__ import annotations

import dataclasses
import enum


class NodeState(enum.IntEnum):
    """arbor.v1.NodeState"""

    UNSPECIFIED = 0
    AVAILABLE = 1
    UNAVAILABLE = 2
    DEAD = 3
    CREATING = 4


class EventKind(enum.IntEnum):
    """arbor.v1.NodeEventKind"""

    UNSPECIFIED = 0
    UNAVAILABLE = 1  # the heartbeat detector: "node id is unavailable now"
    AVAILABLE = 2  # the heartbeat detector: "node id is available again"
    CREATED = 3  # a create answered OK (pid set)
    REMOVED = 4  # a remove answered OK, or a dead node was purged
    LOST = 5  # the worker process died (SIGCHLD)
    ADOPTED = 6  # its parent died; it re-attached under ``parent``


def _enum(cls, value):
    try:
        return cls(value)
    except ValueError:  # a newer controller: keep the raw value
        return value


@dataclasses.dataclass(frozen=True)
class Node:
    """One row of the topology (the CLI's ``tree``): depth-first, children by id."""

    id: int
    parent: int  # -1: the controller
    pid: int
    state: NodeState
    depth: int

    @classmethod
    def from_pb(cls, m) -> "Node":
        return cls(m.id, m.parent, m.pid, _enum(NodeState, m.state), m.depth)


@dataclasses.dataclass(frozen=True)
class Stats:
    """The controller's counters (the CLI's ``stats``)."""

    nodes: int
    pending: int
    sent: int
    answered: int
    timed_out: int
    late_replies: int
    dropped_frames: int

    @classmethod
    def from_pb(cls, m) -> "Stats":
        return cls(**{f.name: getattr(m, f.name) for f in dataclasses.fields(cls)})

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def __getitem__(self, name: str) -> int:  # stats["sent"] works too
        if name not in self.__dataclass_fields__:
            raise KeyError(name)
        return getattr(self, name)


@dataclasses.dataclass(frozen=True)
class NodeEvent:
    """One event of a watch stream."""

    id: int
    kind: EventKind
    pid: int
    parent: int = -1  # ADOPTED: the new parent (-1: the controller)

    @classmethod
    def from_pb(cls, m) -> "NodeEvent":
        kind = _enum(EventKind, m.kind)
        return cls(m.id, kind, m.pid, m.parent if kind == EventKind.ADOPTED else -1)
