"""Holds and arrangements of the cases an intake transaction has locked, read once.

Intake neither places holds nor makes arrangements, and the cases are locked, so what was read
at the start (of a single PUT, or of a batch chunk) stays true until the commit; a case opened
in the transaction has neither.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class CaseFacts:
    hold_types: dict[uuid.UUID, set[str]] = field(default_factory=dict)
    with_arrangement: set[uuid.UUID] = field(default_factory=set)
    opened: set[uuid.UUID] = field(default_factory=set)

    def knows(self, case_id: uuid.UUID) -> bool:
        return case_id in self.hold_types

    def add_new_case(self, case_id: uuid.UUID) -> None:
        self.hold_types[case_id] = set()
        self.opened.add(case_id)
