"""Push a run folder to a model repository of the user's own on the Hugging Face Hub.

What goes up, and nothing else from the folder: every role's `config.json` and `model.safetensors`, the
`run.json` record, and a `README.md` model card (the run's own, or one written here from run.json).

- Always a *model* repository, created if needed (`create_repo(exist_ok=True, repo_type="model")`), and
  never the repository of the Space the app runs in (SPACE_ID): a commit there would restart the Space.
- The token is handed to `HfApi` for the two calls and kept nowhere else: it is never logged, printed or
  put in a message; whatever the Hub answers is scrubbed of it before it reaches anyone.
- Where the token comes from: `HF_TOKEN` or the stored `hf auth login` on a machine of one's own; on a
  Space, only the signed-in visitor's OAuth token, never the Space's own HF_TOKEN secret (that is the
  owner's, and would let any visitor write to the owner's account).
- Offline (HF_HUB_OFFLINE=1) or without a token, `push_unavailable` says why, and a push is refused.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gan_demo.entries import RUN_RECORD
from gan_demo.hub import CONFIG_NAME, WEIGHTS_NAME
from gan_demo.settings import hub_offline, space_id, space_sign_in

CARD_NAME = "README.md"
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{8,}")
HUB_LICENCES = {"mit", "apache-2.0", "bsd-3-clause", "cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0"}


class PushRefused(ValueError):
    """A push that cannot or must not happen (offline, no token, a bad or forbidden repository, no run)."""


class PushFailed(RuntimeError):
    """The Hub did not take the push; the message is the Hub's, without the token."""


def local_token() -> str | None:
    """HF_TOKEN, or the token `hf auth login` stored on this machine (read by huggingface_hub)."""
    from huggingface_hub import get_token

    return get_token()


def app_token(signed_in: str | None) -> str | None:
    """The token a push from the app uses: on a Space the signed-in visitor's only; elsewhere theirs or local."""
    if space_id():
        return signed_in
    return signed_in or local_token()


def push_unavailable(token: str | None) -> str:
    """Why a push cannot happen now ("" when it can)."""
    if hub_offline():
        return "pushing needs the network, and HF_HUB_OFFLINE=1 is set"
    if token:
        return ""
    if space_id():
        if space_sign_in():
            return "sign in with your Hugging Face account first (the model goes to a repository of yours)"
        return "this Space does not offer sign-in (hf_oauth), so it cannot push to your account"
    return "no Hugging Face token: set HF_TOKEN to a token with write access, or run `hf auth login`"


def checked_repo_id(repo_id: str) -> str:
    """`repo_id` as USER/NAME, refused when malformed or when it is this Space's own repository."""
    value = (repo_id or "").strip()
    if not REPO_ID.match(value):
        raise PushRefused(
            f"{value!r} is not a model repository name: use YOUR-NAME/MODEL-NAME (letters, digits, . _ -)"
        )
    if value.lower() == space_id().lower():
        raise PushRefused(f"{value} is this Space's own repository; push to a model repository, e.g. {value}-model")
    return value


def upload_plan(run: Path) -> list[str]:
    """The files of `run` that a push uploads, relative to it: every role's config and weights, the record
    and the card (when the run has one)."""
    run = Path(run)
    if not (run / RUN_RECORD).is_file():
        raise PushRefused(f"{run} is not a run folder (no {RUN_RECORD})")
    roles = sorted(p.parent.name for p in run.glob(f"*/{WEIGHTS_NAME}") if (p.parent / CONFIG_NAME).is_file())
    if not roles:
        raise PushRefused(f"{run} holds no saved network ({WEIGHTS_NAME} with {CONFIG_NAME})")
    files = [f"{role}/{name}" for role in roles for name in (CONFIG_NAME, WEIGHTS_NAME)]
    return [*files, RUN_RECORD, *([CARD_NAME] if (run / CARD_NAME).is_file() else [])]


def push_run(run: Path, repo_id: str, *, token: str | None, private: bool = False, api: Any = None) -> str:
    """Upload `run` (its `upload_plan`, plus a card if it has none) to the model repository `repo_id`.

    Returns the repository's address. Raises PushRefused before any network use, PushFailed after.
    """
    if reason := push_unavailable(token):
        raise PushRefused(reason)
    repo_id, files = checked_repo_id(repo_id), upload_plan(run)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    with tempfile.TemporaryDirectory(prefix="gan-demo-push-") as staging:
        for name in files:
            (Path(staging) / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(run) / name, Path(staging) / name)
        if CARD_NAME not in files:
            (Path(staging) / CARD_NAME).write_text(hub_card(json.loads((Path(run) / RUN_RECORD).read_text())))
        try:
            api.create_repo(repo_id, token=token, private=private, repo_type="model", exist_ok=True)
            api.upload_folder(
                repo_id=repo_id,
                folder_path=staging,
                repo_type="model",
                token=token,
                commit_message=f"Upload {Path(run).name}, trained with gan-demo",
            )
        except Exception as error:  # the Hub's reason, one line, never the token
            raise PushFailed(f"the push failed: {scrubbed(error, token)}") from None
    return f"https://huggingface.co/{repo_id}"


def scrubbed(error: BaseException | str, token: str | None) -> str:
    """The first line of a message, with the token (and anything that looks like one) blanked out."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if token:
        text = text.replace(token, "***")
    return TOKEN_LIKE.sub("hf_***", text)[:300]


def hub_card(record: dict[str, Any]) -> str:
    """A short model card from run.json, for runs that do not have one of their own."""
    model = record.get("model", {})
    licence = str(model.get("licence", "")).strip().lower()
    data = ", ".join(f"{k}: {v}" for k, v in (record.get("data") or {}).items())
    lines = [
        "---",
        f"license: {licence if licence in HUB_LICENCES else 'other'}",
        "library_name: pytorch",
        f"tags: [gan-demo, gan, {record.get('family', 'gan')}]",
        "---",
        "",
        f"# {model.get('title') or 'A gan-demo model'}",
        "",
        str(model.get("description", "")),
        "",
        f"- task: {model.get('task')} · architecture: {model.get('architecture')} · {model.get('image_size')} px",
        f"- started from: {model.get('base_model') or 'scratch'} · steps: {record.get('steps')} · data: {data}",
        f"- licence: {model.get('licence')} · credit: {model.get('credit')}",
        "",
        "Download the repository and use the folder as a model: `gan-demo sample --model FOLDER` (or `translate`,",
        "`sketch`); `run.json` records how it was trained.",
        "",
    ]
    return "\n".join(lines)
