"""Block Kit builders, data in, dicts out: untrusted text escaped and cut to Slack's
limits inside them, links and time (`now`) from the caller, never the clock. Each message
builder has a `*_text` companion for its notification."""

from mava_bridge.slack.blocks.common import Block as Block
from mava_bridge.slack.blocks.common import error_blocks as error_blocks
from mava_bridge.slack.blocks.common import error_text as error_text
from mava_bridge.slack.blocks.common import notice_blocks as notice_blocks
from mava_bridge.slack.blocks.common import success_blocks as success_blocks
from mava_bridge.slack.blocks.common import success_text as success_text
from mava_bridge.slack.blocks.digest import alert_message as alert_message
from mava_bridge.slack.blocks.digest import alert_text as alert_text
from mava_bridge.slack.blocks.digest import digest_header as digest_header
from mava_bridge.slack.blocks.digest import digest_item as digest_item
from mava_bridge.slack.blocks.digest import digest_messages as digest_messages
from mava_bridge.slack.blocks.digest import digest_text as digest_text
from mava_bridge.slack.blocks.digest import item_span as item_span
from mava_bridge.slack.blocks.digest import listed_tickets as listed_tickets
from mava_bridge.slack.blocks.digest import replace_item as replace_item
from mava_bridge.slack.blocks.modals import compose_modal as compose_modal
from mava_bridge.slack.blocks.modals import confirm_reply_modal as confirm_reply_modal
from mava_bridge.slack.blocks.modals import result_modal as result_modal
from mava_bridge.slack.blocks.tickets import categories_list as categories_list
from mava_bridge.slack.blocks.tickets import categories_text as categories_text
from mava_bridge.slack.blocks.tickets import help_blocks as help_blocks
from mava_bridge.slack.blocks.tickets import help_text as help_text
from mava_bridge.slack.blocks.tickets import subscriptions_list as subscriptions_list
from mava_bridge.slack.blocks.tickets import subscriptions_text as subscriptions_text
from mava_bridge.slack.blocks.tickets import ticket_card as ticket_card
from mava_bridge.slack.blocks.tickets import ticket_card_text as ticket_card_text
from mava_bridge.slack.blocks.tickets import ticket_list as ticket_list
from mava_bridge.slack.blocks.tickets import ticket_list_text as ticket_list_text
from mava_bridge.slack.blocks.tickets import usage_blocks as usage_blocks
from mava_bridge.slack.blocks.tickets import usage_text as usage_text
