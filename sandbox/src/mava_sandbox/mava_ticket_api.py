"""Writing tickets through the Mava API: PUT /api/ticket and POST /api/ticket."""

from __future__ import annotations

from typing import Any

from mava_sandbox.mava_dashboard import DashboardMixin
from mava_sandbox.mava_rules import (
    MAX_ATTACHMENTS,
    MAX_ATTRIBUTES,
    MAX_CONTENT,
    MAX_TAGS,
    CustomerSpec,
    as_object,
    bad_request,
    is_priority,
    labelled_pairs,
    optional_str,
    parse_attachments,
)
from mava_sandbox.mava_seed import (
    ORIGINS,
    STATUSES,
    SandboxCustomer,
)


class TicketApiMixin(DashboardMixin):
    """Ticket updates and creation as the API does them."""

    # --- PUT /api/ticket --------------------------------------------------------------

    def update_ticket(self, body: Any) -> dict[str, Any]:
        data = as_object(body)
        ticket = self._ticket_or_400(data.get("ticketId"))
        status, priority = data.get("status"), data.get("priority")
        if (status is not None and status not in STATUSES) or (
            priority is not None and not is_priority(priority)
        ):
            raise bad_request("Invalid status or priority")
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = status
        if priority is not None:
            changes["priority"] = priority
        if data.get("categoryId") is not None:
            category = self._active_category(data["categoryId"])
            if category is None:
                raise bad_request("Category not found")
            changes["category"] = category.id
        if "assignedTo" in data:
            assignee = data["assignedTo"]
            if assignee is not None and assignee not in self.agents:
                raise bad_request("Assignee not found")
            changes["assignedTo"] = assignee
        self._apply_audited(ticket, changes)
        return {"message": "Ticket updated"}

    # --- POST /api/ticket ---------------------------------------------------------------

    def create_ticket(self, body: Any) -> dict[str, Any]:
        data = as_object(body)
        if ("customerId" in data and data["customerId"] is not None) == (
            "customer" in data and data["customer"] is not None
        ):
            raise bad_request("Provide exactly one of customerId or customer")
        target = self._creation_customer(data)
        fields = self._creation_fields(data)
        message = self._creation_message(data.get("message"))
        subject = data.get("emailSubjectLine")
        if subject is not None and not (isinstance(subject, str) and len(subject) <= 998):
            raise bad_request("Invalid emailSubjectLine")
        if "silent" in data and not isinstance(data["silent"], bool):
            raise bad_request("Invalid silent")

        spec = target if isinstance(target, CustomerSpec) else None
        customer = target if isinstance(target, SandboxCustomer) else None
        if spec is not None and spec.email is not None:
            customer = self.find_customer(email=spec.email)  # Mava knows people by email
        if customer and fields["status"] != "Resolved" and self.open_ticket_of(customer.id):
            raise bad_request("Customer already has an open ticket")
        if customer is None:
            assert spec is not None
            customer = self.add_customer(
                name=spec.name, email=spec.email, wallet_address=spec.wallet_address
            )
        if spec is not None:
            self._upsert_attributes(customer, spec.attributes)

        now = self.now()
        messages = []
        if message is not None:
            content, attachments = message
            messages.append(self._message(now, content, "customer", attachments=attachments))
        ticket = self._store_new(
            {
                **fields,
                "_id": self.new_id(now),
                "createdAt": now,
                "updatedAt": now,
                "resolutionTime": 0 if fields["status"] == "Resolved" else None,
                "csat": None,
                "aiStatus": None,
                "discordUsers": [],
                "customer": customer.id,
                "messages": messages,
            }
        )
        return self._create_answer(self.ticket_json(ticket))

    def _create_answer(self, ticket: dict[str, Any]) -> dict[str, Any]:
        if self.create_answer == "flat":
            return ticket
        if self.create_answer == "id":
            return {"ticketId": ticket["_id"], "message": "Ticket created"}
        if self.create_answer == "none":
            return {"message": "Ticket created"}
        return {"ticket": ticket}

    def _creation_customer(self, data: dict[str, Any]) -> SandboxCustomer | CustomerSpec:
        """The existing customer for customerId, or the parsed `customer` object."""
        if data.get("customerId") is not None:
            customer_id = data["customerId"]
            customer = self.customers.get(customer_id) if isinstance(customer_id, str) else None
            if customer is None:
                raise bad_request("Customer not found")
            return customer
        raw = data["customer"]
        if not isinstance(raw, dict):
            raise bad_request("Invalid customer")
        spec = CustomerSpec(
            name=optional_str(raw, "name", "Invalid customer"),
            email=optional_str(raw, "email", "Invalid customer"),
            wallet_address=optional_str(raw, "walletAddress", "Invalid customer"),
            attributes=labelled_pairs(
                raw.get("attributes"), "Invalid customer attributes", MAX_ATTRIBUTES
            ),
        )
        # Mava's page: the customer "Requires email or walletAddress" (find-or-create key).
        if spec.email is None and spec.wallet_address is None:
            raise bad_request("Customer email or walletAddress is required")
        return spec

    def _creation_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        status = data.get("status") or "Open"
        if status not in STATUSES:
            raise bad_request("Invalid status")
        priority = data.get("priority", 2)
        if priority is not None and not is_priority(priority):
            raise bad_request("Invalid priority")
        source = data.get("sourceType") or "web"
        if source not in ORIGINS:
            raise bad_request("Invalid sourceType")
        assignee = data.get("assignedTo")
        if assignee is not None and assignee not in self.agents:
            raise bad_request("Assignee not found")
        category = data.get("category")
        if category is not None and self._active_category(category) is None:
            raise bad_request("Category not found")
        tags = data.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise bad_request("Invalid tags")
        if len(tags) > MAX_TAGS:
            raise bad_request(f"Too many tags (max {MAX_TAGS})")
        if any(t not in self.tags for t in tags):
            raise bad_request("Tag not found")
        pairs = labelled_pairs(data.get("attributes"), "Invalid attributes", MAX_ATTRIBUTES)
        return {
            "status": status,
            "priority": priority,
            "sourceType": source,
            "assignedTo": assignee,
            "category": category,
            "tags": list(dict.fromkeys(tags)),
            "attributes": self._attributes(pairs),
        }

    @staticmethod
    def _creation_message(raw: Any) -> tuple[str, list[dict[str, str]]] | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise bad_request("Invalid message")
        content = raw.get("content") or ""
        if not isinstance(content, str):
            raise bad_request("Invalid message")
        if len(content) > MAX_CONTENT:
            raise bad_request(f"Message content exceeds {MAX_CONTENT} characters")
        attachments = parse_attachments(raw.get("attachments"), MAX_ATTACHMENTS)
        if not content and not attachments:
            raise bad_request("Content or attachments are required")
        return content, attachments
