"""The fixed catalogue the Mava sandbox's seed draws from: agents, categories, tags,
names, companies, and the texts of openers, replies and notes (odd ones included).
"""

from __future__ import annotations

from datetime import timedelta

# --- Fixed catalogue -------------------------------------------------------------

AGENTS = (
    ("Jane Smith", "jane@example.com", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
    ("Omar Haddad", "omar@example.com", None),
    ("Li Wei", "li.wei@example.com", None),
    ("Priya Patel", "priya@example.com", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
    ("Lukas Müller", "lukas@example.com", None),
    ("Sofia García", "sofia@example.com", None),
)
CATEGORIES = ("Billing", "Technical", "Account", "Bug report", "Feature request", "General")
ARCHIVED_CATEGORY = "Legacy"
TAGS = ("VIP", "Refund", "Urgent", "Bug", "Onboarding", "Churn risk", "Partner", "Follow-up")

FIRST_NAMES = (
    "Ana", "Bjørn", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ingrid", "José",
    "Kwame", "Léa", "Mohammed", "Nina", "Olga", "Pedro", "Quinn", "Rosa", "Søren", "Tomás",
    "Uma", "Viktor", "Wen", "Yuki", "Zoë",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Brown", "Costa", "Dubois", "Eze", "Fischer", "Gómez", "Hansen", "Ivanova",
    "Jones", "Kim", "Lopez", "Martin", "Nakamura", "O'Brien", "Novak", "Rossi", "Singh",
    "Tanaka", "Okafor", "Weber", "Yilmaz",
)  # fmt: skip
NON_LATIN_NAMES = ("Мария Иванова", "李明", "佐藤 花子", "علي حسن", "Νίκος Παπαδόπουλος")
COMPANIES = (
    "Acme Inc", "Globex", "Initech", "Umbrella Corp", "Stark Industries", "Hooli",
    "Pied Piper", "Soylent", "Tyrell Corp", "Wonka Industries",
)  # fmt: skip
PLANS = ("Free", "Pro", "Team", "Enterprise")
COUNTRIES = ("US", "GB", "DE", "FR", "BR", "NG", "IN", "JP", "UA", "AU")

OPENERS = {
    "Billing": (
        "I was charged twice for my subscription this month.",
        "Can I get a refund for the annual plan? I upgraded by mistake.",
        "My invoice shows the wrong company name, can you fix it?",
        "The payment failed but the money still left my account.",
    ),
    "Technical": (
        "The dashboard won't load, it just spins forever.",
        "Getting a 502 when I call your API from our backend.",
        "Webhooks stopped arriving since yesterday evening.",
        "Export to CSV gives me an empty file.",
    ),
    "Account": (
        "I can't log in after resetting my password.",
        "Please change the email on my account, I lost access to the old one.",
        "How do I add a teammate to my workspace?",
        "My account got locked after too many attempts.",
    ),
    "Bug report": (
        "The mobile app crashes when I open settings.",
        "Dark mode makes the text unreadable on the invoice page.",
        "Dates show up in the wrong timezone in reports.",
    ),
    "Feature request": (
        "Could you add SSO with Okta?",
        "Any plans for a public roadmap?",
        "Please add an option to export tickets as JSON.",
    ),
    "General": (
        "Hi! Quick question about your pricing.",
        "Do you have an office in Europe?",
        "gm, is the mint still live?",
    ),
}
AGENT_REPLIES = (
    "Thanks for reaching out! Let me look into that for you.",
    "Could you send me a screenshot of the error?",
    "I've refunded the duplicate charge, it should show up in 3-5 business days.",
    "This should be fixed now, can you try again?",
    "I've passed this to our engineering team and will update you here.",
    "Which browser and app version are you on?",
)
CUSTOMER_FOLLOW_UPS = (
    "Thanks, that worked!",
    "Still not working for me, sorry.",
    "Here's the screenshot.",
    "Any update on this?",
    "Chrome 126 on macOS.",
)
INTERNAL_NOTES = (
    "Customer is on the Enterprise plan, prioritise.",
    "Checked Stripe: duplicate charge confirmed.",
    "Known issue, linked to BUG-1423.",
    "Asked engineering in #support-escalations.",
)
LONG_TEXT = "Here is the full log from our server:\n" + "".join(
    f"[2026-03-15T10:{i % 60:02d}:00Z] ERROR worker-{i % 7} request failed: "
    f"upstream timed out after 30000 ms (attempt {i})\n"
    for i in range(52)
)
# Content that breaks naive renderers: Slack mentions, mrkdwn, HTML, entities, emoji.
NASTY = (
    LONG_TEXT,
    "<!channel> the site is down for everyone!!!",
    "Can <@U123> look at this? See <#C456|general> and <https://evil.example|click here>",
    "*markdown* _x_ ~y~ `code` ```block``` > quoted",
    "<script>alert(1)</script>",
    "Fish &amp; chips < 5 > 3 & done",
    "🔥🚀 The app is broken 😭 👍🏽 🇺🇦",
    "Не могу войти в аккаунт. 登录失败。 لا أستطيع تسجيل الدخول",
)
SCREENSHOT = {
    "fileName": "screenshot.png",
    "url": "https://files.example.com/screenshot.png",
    "fileType": "image/png",
}

SPAN = timedelta(days=120)
TICKET_ATTRIBUTES = (("Browser", ("Chrome", "Firefox", "Safari")), ("App version", ("2.3", "2.4")))
