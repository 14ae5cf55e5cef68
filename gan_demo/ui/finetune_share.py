"""The Fine-tune tab's "Share on the Hub" accordion: push a saved run to a model repository of the user's own.

On a Space the push uses the signed-in visitor's token (gr.LoginButton, with `hf_oauth: true` in the
Space's README), never the Space's own HF_TOKEN; locally, HF_TOKEN or the `hf auth login` token. The token
is never shown. See gan_demo/hub_push.py.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from gan_demo.hub_push import PushFailed, PushRefused, app_token, push_run, push_unavailable
from gan_demo.settings import hub_offline, space_id, space_sign_in
from gan_demo.training.worker import TrainingWorker
from gan_demo.ui.finetune_jobs import run_keys

ABOUT = (
    "Uploads one of your saved runs (each network's weights and config, a model card and run.json) to a model "
    "repository of yours, created if needed."
)


def share_note() -> tuple[str, bool]:
    """The accordion's opening text, and whether its button can be pressed at all."""
    reason = push_unavailable(None if space_id() else app_token(None))
    if not reason:
        return f"{ABOUT} It uses your Hugging Face token (HF_TOKEN or `hf auth login`).", True
    if space_sign_in() and not hub_offline():  # the visitor signs in, then pushes
        return f"{ABOUT}  \n{reason[0].upper()}{reason[1:]}.", True
    return f"{ABOUT}  \n**Unavailable**: {reason}.", False


def build_share(runs_dir: Path, worker: TrainingWorker) -> None:
    """Lay out the accordion (where the layout is) and wire it: its own run list, read afresh on focus."""
    note, usable = share_note()
    with gr.Accordion("Share on the Hugging Face Hub", open=False):
        if space_sign_in():
            gr.LoginButton()
        run = gr.Dropdown(run_keys(runs_dir), label="Run", allow_custom_value=True, info="One of your saved runs.")
        repo = gr.Textbox(label="Model repository", placeholder="your-name/my-model", info="YOUR-NAME/MODEL-NAME.")
        private = gr.Checkbox(True, label="Private repository")
        push_button = gr.Button("Push the chosen run", size="sm", interactive=usable)
        status = gr.Markdown(note)

    def push(key: str | None, repo_id: str, private: bool, signed_in: gr.OAuthToken | None = None) -> str:
        if not key or key not in run_keys(runs_dir):
            return "**Not pushed**: choose one of your saved runs first."
        if worker.writing(runs_dir / key):
            return f"**Not pushed**: {key} is still training; push it once it is saved."
        token = app_token(signed_in.token if signed_in else None)
        try:
            url = push_run(runs_dir / key, repo_id, token=token, private=bool(private))
        except (PushRefused, PushFailed) as error:
            return f"**Not pushed**: {error}."
        return f"Pushed **{key}** to [{url}]({url})."

    run.focus(lambda: gr.Dropdown(choices=run_keys(runs_dir)), outputs=run, queue=False, api_visibility="private")
    push_button.click(push, [run, repo, private], status, api_name="finetune_push")
