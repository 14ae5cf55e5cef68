"""Tabs whose capability lands in a later release: they say so plainly and list the models already known."""

from __future__ import annotations

import gradio as gr

from gan_demo.registry import Registry, Task


def build_upcoming_tab(registry: Registry, task: Task, what: str, command: str) -> None:
    entries = registry.entries(task)
    listed = "\n".join(f"- **{e.title}** (`{e.key}`): {e.description}" for e in entries) or "- none yet"
    gr.Markdown(
        f"{what}\n\n"
        f"> **Not available yet.** This tab's models and controls arrive in a later release of the "
        f"playground; nothing here runs today. The matching command `{command}` says the same.\n\n"
        f"Models registered for this tab:\n{listed}"
    )
