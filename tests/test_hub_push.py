"""Pushing a run to the Hub, offline: HfApi is a stand-in that records what would be uploaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gan_demo import hub_push
from gan_demo.cli import main
from gan_demo.hub_push import PushFailed, PushRefused, app_token, push_run, push_unavailable, upload_plan

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_SecretSecretSecret0123456789"


class FakeHub:
    """HfApi's two calls as the push makes them; the folder's files are read while the call lasts."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail, self.repos, self.uploads = fail, [], []

    def create_repo(self, repo_id, **options):
        self.repos.append((repo_id, options))
        if self.fail:
            raise self.fail

    def upload_folder(self, *, repo_id, folder_path, **options):
        files = {str(p.relative_to(folder_path)): p.read_bytes() for p in Path(folder_path).rglob("*") if p.is_file()}
        self.uploads.append((repo_id, files, options))


@pytest.fixture
def online(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # HfApi is faked in every test that pushes: nothing leaves
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.delenv("OAUTH_CLIENT_ID", raising=False)


@pytest.fixture
def run(tmp_path) -> Path:
    """A run folder: the bundled sketch model plus what a push must leave behind."""
    folder = tmp_path / "my-sketch"
    shutil.copytree(ROOT / "checkpoints" / "emoji-sketch", folder, ignore=shutil.ignore_patterns("README.md"))
    (folder / "generator" / "optimizer.pt").write_bytes(b"not for the Hub")
    (folder / "preview.png").write_bytes(b"nor this")
    return folder


def test_a_push_uploads_weights_configs_card_and_record_to_a_model_repo(online, run):
    hub = FakeHub()
    url = push_run(run, "me/my-sketch", token=TOKEN, private=True, api=hub)
    assert url == "https://huggingface.co/me/my-sketch"
    ((repo_id, options),) = hub.repos
    assert repo_id == "me/my-sketch" and options == {
        "token": TOKEN,
        "private": True,
        "repo_type": "model",
        "exist_ok": True,
    }
    ((_, files, upload),) = hub.uploads
    roles = {p.parent.name for p in run.glob("*/model.safetensors")}
    assert set(files) == {f"{r}/{n}" for r in roles for n in ("config.json", "model.safetensors")} | {
        "run.json",
        "README.md",
    }
    assert upload["repo_type"] == "model" and upload["token"] == TOKEN
    assert files["generator/model.safetensors"] == (run / "generator" / "model.safetensors").read_bytes()
    card = files["README.md"].decode()
    record = json.loads((run / "run.json").read_text())
    assert card.startswith("---\nlicense: ") and record["model"]["title"] in card and TOKEN not in card


def test_a_run_with_its_own_card_pushes_that_card(online, run):
    (run / "README.md").write_text("# mine\n")
    hub = FakeHub()
    push_run(run, "me/x", token=TOKEN, api=hub)
    assert hub.uploads[0][1]["README.md"] == b"# mine\n" and "README.md" in upload_plan(run)


@pytest.mark.parametrize(
    ("repo_id", "message"),
    [
        ("my-sketch", "use YOUR-NAME/MODEL-NAME"),
        ("spaces/me/app", "use YOUR-NAME/MODEL-NAME"),
        ("me/bad name", "use YOUR-NAME/MODEL-NAME"),
        ("Me/Playground", "this Space's own repository; push to a model repository, e.g. Me/Playground-model"),
    ],
)
def test_bad_repositories_and_the_spaces_own_are_refused_before_any_call(online, run, monkeypatch, repo_id, message):
    monkeypatch.setenv("SPACE_ID", "me/playground")
    hub = FakeHub()
    with pytest.raises(PushRefused, match=message):
        push_run(run, repo_id, token=TOKEN, api=hub)
    assert hub.repos == [] and hub.uploads == []


def test_offline_or_without_a_token_the_push_says_why(run, monkeypatch, online):
    assert "no Hugging Face token: set HF_TOKEN" in push_unavailable(None)
    monkeypatch.setenv("SPACE_ID", "me/playground")
    assert "does not offer sign-in" in push_unavailable(None)
    monkeypatch.setenv("OAUTH_CLIENT_ID", "x")
    assert push_unavailable(None).startswith("sign in with your Hugging Face account")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PushRefused, match="HF_HUB_OFFLINE=1"):
        push_run(run, "me/x", token=TOKEN, api=FakeHub())
    with pytest.raises(PushRefused, match="not a run folder"):
        upload_plan(run / "generator")


def test_the_token_never_appears_in_a_failure(online, run):
    leak = RuntimeError(f"401 Client Error for url https://huggingface.co/api/repos/create (token {TOKEN})\nmore")
    with pytest.raises(PushFailed) as caught:
        push_run(run, "me/x", token=TOKEN, api=FakeHub(fail=leak))
    assert TOKEN not in str(caught.value) and "***" in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.__suppress_context__  # the Hub's own exception (and its message) is not chained
    assert "hf_***" in hub_push.scrubbed("other hf_AbCdEf0123456789 here", None)


def test_on_a_space_only_the_signed_in_visitors_token_is_used(monkeypatch, online):
    monkeypatch.setenv("HF_TOKEN", TOKEN)  # the Space owner's secret
    assert app_token(None) == TOKEN and app_token("visitor") == "visitor"  # a machine of one's own
    monkeypatch.setenv("SPACE_ID", "me/playground")
    assert app_token(None) is None and app_token("visitor") == "visitor"


def test_the_push_command_prints_the_address_and_never_the_token(online, run, monkeypatch, capsys):
    hub = FakeHub()
    monkeypatch.setattr("huggingface_hub.HfApi", lambda: hub)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["push", str(run), "--repo", "me/my-sketch", "--private"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == "https://huggingface.co/me/my-sketch" and TOKEN not in out.out + out.err
    assert hub.repos[0][1]["private"] is True
    monkeypatch.setattr("huggingface_hub.HfApi", lambda: FakeHub(fail=RuntimeError(f"bad token {TOKEN}")))
    assert main(["push", str(run), "--repo", "me/my-sketch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gan-demo: the push failed: bad token ***") and TOKEN not in err
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(hub_push, "local_token", lambda: None)  # whatever `hf auth login` left on this machine
    assert main(["push", str(run), "--repo", "me/my-sketch"]) == 2
    assert "no Hugging Face token" in capsys.readouterr().err


def test_the_tabs_push_control_pushes_a_saved_run_and_explains_refusals(app, online, run, monkeypatch):
    demo, client = app
    runs_dir = demo.test_runs_dir
    shutil.copytree(run, runs_dir / "shared-sketch")
    hub = FakeHub()
    monkeypatch.setattr("huggingface_hub.HfApi", lambda: hub)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    done = client.predict("shared-sketch", "me/shared", True, api_name="/finetune_push")
    assert done.startswith("Pushed **shared-sketch** to [https://huggingface.co/me/shared]") and TOKEN not in done
    assert hub.uploads[0][0] == "me/shared" and "generator/model.safetensors" in hub.uploads[0][1]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = client.predict("shared-sketch", "me/shared", True, api_name="/finetune_push")
    assert (
        offline == "**Not pushed**: pushing needs the network, and HF_HUB_OFFLINE=1 is set." and len(hub.uploads) == 1
    )
    shutil.rmtree(runs_dir / "shared-sketch")
    gone = client.predict("shared-sketch", "me/shared", True, api_name="/finetune_push")
    assert gone == "**Not pushed**: choose one of your saved runs first."
    outside = client.predict("../../" + run.parent.name + "/my-sketch", "me/x", True, api_name="/finetune_push")
    assert outside == gone and len(hub.uploads) == 1  # only runs of the runs folder, by name
