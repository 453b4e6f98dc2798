"""Block Kit builders: pure functions, data in, dicts out.

Untrusted text is escaped and cut to Slack's limits inside the builders; links come
from the caller (`ticket_url` / `link(ticket_id)`) and time from `now`, never the
clock. Each message builder has a `*_text` companion for the notification fallback.
"""

from mava_bridge.slack.blocks.common import (
    Block,
    LinkFor,
    error_blocks,
    error_text,
    notice_blocks,
    success_blocks,
    success_text,
)
from mava_bridge.slack.blocks.digest import (
    alert_message,
    alert_text,
    digest_header,
    digest_item,
    digest_messages,
    digest_text,
    digest_thread_messages,
    digest_thread_text,
    empty_digest,
    item_span,
    listed_tickets,
    replace_item,
    sort_for_digest,
)
from mava_bridge.slack.blocks.help import help_blocks, help_text, usage_blocks, usage_text
from mava_bridge.slack.blocks.modals import (
    View,
    compose_modal,
    confirm_reply_modal,
    result_modal,
    ticket_summary,
)
from mava_bridge.slack.blocks.tickets import (
    categories_list,
    categories_text,
    ticket_card,
    ticket_card_text,
    ticket_list,
    ticket_list_text,
)

__all__ = [
    "Block",
    "LinkFor",
    "View",
    "alert_message",
    "alert_text",
    "categories_list",
    "categories_text",
    "compose_modal",
    "confirm_reply_modal",
    "digest_header",
    "digest_item",
    "digest_messages",
    "digest_text",
    "digest_thread_messages",
    "digest_thread_text",
    "empty_digest",
    "error_blocks",
    "error_text",
    "help_blocks",
    "help_text",
    "item_span",
    "listed_tickets",
    "notice_blocks",
    "replace_item",
    "result_modal",
    "sort_for_digest",
    "success_blocks",
    "success_text",
    "ticket_card",
    "ticket_card_text",
    "ticket_list",
    "ticket_list_text",
    "ticket_summary",
    "usage_blocks",
    "usage_text",
]
