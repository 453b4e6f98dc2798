"""The `odd_shapes` switch: tickets served in shapes the reference does not promise.

Mava's reference shows `tags` as a list, `assignedTo`/`category`/`customer` as objects
with `_id`, `csat` as an object and every message with `_id` and `createdAt`, but it
never promises them. Under the switch some tickets are served in each odd shape below
(the ticket's data is unchanged; only its wire form differs), and one in a shape no
client can read (`priority` an object), so tests prove one odd ticket never blocks the
rest.
"""

from __future__ import annotations

from typing import Any, Final

ODD_SHAPES: Final = (
    "null_tags",  # "tags": null
    "customer_without_id",  # the customer object has no _id
    "string_assignee",  # "assignedTo": "<agent id>"
    "string_category",  # "category": "<category id>"
    "number_csat",  # "csat": 4
    "message_without_id",  # messages without _id
    "message_without_created_at",  # messages without createdAt
    "unreadable",  # "priority": {"value": 3}: no reading is obvious
)


def odd_shape(data: dict[str, Any], shape: str) -> dict[str, Any]:
    """`data` (a ticket's wire form) served in `shape`."""
    if shape not in ODD_SHAPES:
        raise ValueError(f"odd shape must be one of {ODD_SHAPES}")
    data = dict(data)
    if shape == "null_tags":
        data["tags"] = None
    elif shape == "customer_without_id" and isinstance(data.get("customer"), dict):
        data["customer"] = {k: v for k, v in data["customer"].items() if k != "_id"}
    elif shape == "string_assignee" and isinstance(data.get("assignedTo"), dict):
        data["assignedTo"] = data["assignedTo"]["_id"]
    elif shape == "string_category" and isinstance(data.get("category"), dict):
        data["category"] = data["category"]["_id"]
    elif shape == "number_csat" and isinstance(data.get("csat"), dict):
        data["csat"] = data["csat"]["value"]
    elif shape in ("message_without_id", "message_without_created_at"):
        dropped = "_id" if shape == "message_without_id" else "createdAt"
        if isinstance(data.get("messages"), list):
            data["messages"] = [
                {k: v for k, v in m.items() if k != dropped} for m in data["messages"]
            ]
    elif shape == "unreadable":
        data["priority"] = {"value": data.get("priority")}
    return data
