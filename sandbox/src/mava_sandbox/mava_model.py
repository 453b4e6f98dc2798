"""`MavaSandbox`: the in-memory Mava, one state (mava_state) and one mixin per resource.

Mixins rather than separate objects: tests and the admin routes reach every part through
one object (`sandbox.update`, `sandbox.inject`, `sandbox._by_id`), and the parts share
the tickets, the clock and the change hooks, which live once in `SandboxState`.
"""

from __future__ import annotations

from mava_sandbox.mava_faults import FaultsMixin
from mava_sandbox.mava_messages import MessagesMixin
from mava_sandbox.mava_search import TicketSearchMixin
from mava_sandbox.mava_ticket_api import TicketApiMixin


class MavaSandbox(TicketSearchMixin, TicketApiMixin, MessagesMixin, FaultsMixin):
    """In-memory Mava: seeded state, the API's behaviour, and test controls."""
