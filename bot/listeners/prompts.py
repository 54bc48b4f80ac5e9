"""What the bot says in a DM before and while it answers: the suggested prompts of the
Messages tab (and of the legacy assistant container), its greeting, and the status shown
while a question is answered."""

from __future__ import annotations

from retrieval.text.tokens import has_cjk

CHECK_PROMPT = "Check a rumour: I'll paste it next"
PROMPTS = [
    {"title": "What's new about GPT-5?", "message": "What's the latest on GPT-5?"},
    {"title": "Why was Opus 3.5 not released?", "message": "Why was Opus 3.5 not released?"},
    {"title": "Check a rumour", "message": CHECK_PROMPT},
]
PROMPTS_TITLE = "Try asking"
GREETING = (
    "Ask me about GPT-5 rumours, in English or Chinese: I answer by quoting the sources,"
    " with a label that says how well they support it. Paste a rumour and I check it."
)
PASTE_IT = "Paste the rumour (a tweet, a headline, a claim) as your next message and I'll check it."
STATUS = "is looking through the sources…"


def loading_messages(question: str) -> list[str]:
    """The status lines Slack rotates while a question is answered: what is actually being
    done, in order."""
    steps = ["Searching the sources…", "Choosing the passages that answer…"]
    if not has_cjk(question):
        steps.append("Checking the English under the quotes…")
    return [*steps, "Weighing how well the sources support it…"]
