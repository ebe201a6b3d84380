"""Presentation: text, JSON and Markdown renderings of reports and plans. Only cli imports it."""
