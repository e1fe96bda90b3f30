"""coalition-bot: a chat bot for a coalition of partner organizations."""
