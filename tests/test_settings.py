"""One settings object from the environment, read once by the app and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from gan_demo.settings import Settings, env_flag


def test_an_empty_environment_gives_the_documented_defaults():
    settings = Settings.from_env({})
    assert (settings.device, settings.precision, settings.compile) == ("auto", "auto", False)
    assert (settings.server_name, settings.server_port, settings.runs_dir) == ("127.0.0.1", 7860, Path("runs"))
    assert settings.checkpoints_dir.name == "checkpoints" and not settings.offline and not settings.debug


def test_every_variable_is_read():
    settings = Settings.from_env(
        {
            "GAN_DEMO_DEVICE": "cpu",
            "GAN_DEMO_PRECISION": " BF16 ",
            "GAN_DEMO_COMPILE": "yes",
            "GRADIO_SERVER_NAME": "0.0.0.0",
            "GRADIO_SERVER_PORT": "8000",
            "GAN_DEMO_RUNS": "/data/runs",
            "GAN_DEMO_CHECKPOINTS": "/data/ckpt",
            "HF_HUB_OFFLINE": "1",
            "GRADIO_TEMP_DIR": "/data/tmp",
            "GAN_DEMO_DEBUG": "1",
        }
    )
    assert settings == Settings(
        device="cpu",
        precision="bf16",
        compile=True,
        server_name="0.0.0.0",
        server_port=8000,
        runs_dir=Path("/data/runs"),
        checkpoints_dir=Path("/data/ckpt"),
        offline=True,
        temp_dir=Path("/data/tmp"),
        debug=True,
    )


def test_a_port_that_is_not_a_number_is_named():
    with pytest.raises(ValueError, match="GRADIO_SERVER_PORT"):
        Settings.from_env({"GRADIO_SERVER_PORT": "eighty"})


@pytest.mark.parametrize(("value", "on"), [("1", True), ("TRUE", True), (" on ", True), ("0", False), (None, False)])
def test_switches(value, on):
    assert env_flag(value) is on
