"""Customers, categories and agents in the Mava sandbox: POST /api/identify,
GET /api/categories and GET /api/agents, and the dashboard's category changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mava_sandbox.mava_rules import as_object, bad_request, labelled_pairs, optional_str
from mava_sandbox.mava_seed import (
    SandboxCategory,
    SandboxCustomer,
)
from mava_sandbox.mava_state import SandboxState


class DirectoryMixin(SandboxState):
    """Customers and their attributes, categories, agents."""

    # An admin's changes to the categories in the dashboard (by current name).

    def add_category(self, name: str) -> SandboxCategory:
        category = SandboxCategory(self.new_id(), name)
        self.categories[category.id] = category
        return category

    def archive_category(self, name: str) -> None:
        self.categories[self.category_id(name)].active = False

    def rename_category(self, name: str, new_name: str) -> None:
        self.categories[self.category_id(name)].name = new_name

    # --- customers and attributes ---------------------------------------------------

    def _attribute(self, name: str, content: str) -> dict[str, str]:
        if name not in self.attribute_ids:
            self.attribute_ids[name] = self.new_id()
        return {"attributeId": self.attribute_ids[name], "name": name, "content": content}

    def _attributes(self, items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        merged: dict[str, dict[str, str]] = {}
        for name, content in items:
            merged[name] = self._attribute(name, content)
        return list(merged.values())

    def _upsert_attributes(self, customer: SandboxCustomer, pairs: list[tuple[str, str]]) -> None:
        by_name = {a["name"]: a for a in customer.attributes}
        for name, content in pairs:
            if name in by_name:
                by_name[name]["content"] = content
            else:
                by_name[name] = self._attribute(name, content)
                customer.attributes.append(by_name[name])

    def add_customer(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        wallet_address: str | None = None,
        platform_user_id: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> SandboxCustomer:
        customer = SandboxCustomer(self.new_id(), name, email, wallet_address, platform_user_id, [])
        self._upsert_attributes(customer, list((attributes or {}).items()))
        self.customers[customer.id] = customer
        return customer

    def find_customer(
        self, *, email: str | None = None, platform_user_id: str | None = None
    ) -> SandboxCustomer | None:
        for customer in self.customers.values():
            if email and customer.email and customer.email.casefold() == email.casefold():
                return customer
            if platform_user_id and customer.platform_user_id == platform_user_id:
                return customer
        return None

    # --- POST /api/identify -----------------------------------------------------------

    def identify(self, body: Any) -> dict[str, Any]:
        data = as_object(body)
        email = optional_str(data, "emailAddress")
        platform_id = optional_str(data, "plaformUserId") or optional_str(data, "platformUserId")
        customer_id = optional_str(data, "mavaCustomerId")
        pairs = labelled_pairs(data.get("customAttributes"), "Invalid request body")

        if customer_id is not None:
            customer = self.customers.get(customer_id)
            if customer is None:
                raise bad_request("Customer not found")
        else:
            found = self.find_customer(email=email, platform_user_id=platform_id)
            customer = found or self.add_customer()
        if email is not None and (customer_id is not None or customer.email is None):
            customer.email = email  # a lookup by email must not rewrite its case
        if platform_id is not None:
            customer.platform_user_id = platform_id
        self._upsert_attributes(customer, pairs)
        return {
            "message": "Customer identified",
            "customerId": customer.id,
            "customer": self.customer_json(customer),
        }

    # --- GET /api/categories, GET /api/agents ------------------------------------------

    def categories_json(self) -> dict[str, Any]:
        return {
            "categories": [
                {"_id": c.id, "name": c.name} for c in self.categories.values() if c.active
            ]
        }

    def agents_json(self) -> dict[str, Any]:
        return {
            "agents": [
                {
                    "id": a.id,
                    "email": a.email,
                    "username": a.name,
                    "walletAddress": a.wallet_address,
                }
                for a in self.agents.values()
            ]
        }
