"""What a request carries into its next run when it continues as new during a long wait.

A request that only waits (a restriction in force until the team lifts it, possibly for
years) is continued as new before its history grows long (`workflows/rights_request/
long_wait.py`). The new run starts with the same `RightsRequestInput` plus this: the
process state the team and the Updates see, and what the stages would otherwise ask the
activities again or lose (the clock settings, the collection plan, the nonces of the
signatures accepted lately, so a signed decision cannot be replayed across the runs).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from dsar.messages.clock import ClockSettings
from dsar.messages.collection import CollectionPlan
from dsar.messages.state import RequestState


class CarriedState(BaseModel):
    state: RequestState
    clock: ClockSettings
    plan: CollectionPlan | None = None
    nonces: dict[str, datetime] = Field(default_factory=dict)
    # How many runs came before this one (1 for the first continued run).
    runs: int = 1
