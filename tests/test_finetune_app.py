"""The Fine-tune tab through the running app, as a script would drive it: start, watch, stop, use the run."""

from __future__ import annotations

import time

import numpy as np
from gradio_client import handle_file
from PIL import Image


def upload_set(folder, count: int = 8):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    paths = []
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(folder / f"img{index}.png")
        paths.append(handle_file(str(folder / f"img{index}.png")))
    return paths


def start(client, files, name: str, steps: int):
    return client.predict(
        "gan",
        "emoji-fluent",
        "names",
        files,
        [],
        name,
        steps,
        5,
        1e-4,
        2,
        ["color"],
        1,
        0.9,
        None,
        api_name="/finetune_start",
    )


def wait_status(client, job_id, done, seconds: float = 240.0) -> str:
    end = time.time() + seconds
    while time.time() < end:
        status = client.predict(job_id, api_name="/finetune_status")[0]
        if done(status):
            return status
        time.sleep(0.5)
    raise AssertionError(f"timed out; last status: {status}")


def test_a_fine_tune_runs_in_the_worker_and_its_model_samples_in_the_sample_tab(app, tmp_path):
    _, client = app
    files = upload_set(tmp_path / "set")
    note, grid = client.predict(
        "gan", "emoji-fluent", "names", files, [], ["color", "cutout"], api_name="/finetune_check"
    )
    assert note.startswith("8 images accepted") and Image.open(grid).size[1] > 96 * 2  # originals + augmented row
    job_id, status = start(client, files, "tab-run", 3)
    assert job_id and ("Queued" in status or "Running" in status)
    status = wait_status(client, job_id, lambda s: s.startswith("**Done**"))
    assert "step 3 of 3" in status and "listed as a model" in status
    _, gallery = client.predict("tab-run", 1, 2, 1.0, 0.0, 64, api_name="/sample")
    assert len(gallery) == 2


def test_stop_saves_the_run_and_a_second_job_waits_its_turn(app, tmp_path):
    _, client = app
    files = upload_set(tmp_path / "set")
    first, _ = start(client, files, "long-run", 2000)
    second, _ = start(client, files, "queued-run", 2)
    wait_status(client, first, lambda s: s.startswith("**Running** · step") and "step 0 of" not in s)
    assert "Queued" in client.predict(second, api_name="/finetune_status")[0]
    client.predict(first, api_name="/finetune_stop")
    assert wait_status(client, first, lambda s: s.startswith("**Stopped**")).count("saved as long-run") == 1
    wait_status(client, second, lambda s: s.startswith("**Done**"))


def test_the_tab_estimates_the_run_time_before_start_and_its_plot_starts_without_data(app, tmp_path):
    import gradio as gr

    demo, client = app
    files = upload_set(tmp_path / "est")
    settings = (120, 1, 1e-4, 2, ["color"], 1, 0.9)  # steps, minutes, lr, batch, augment, freeze, ema
    note = client.predict("gan", "emoji-fluent", "names", files, [], *settings, api_name="/finetune_estimate")
    assert note.startswith("**Estimate:** about ") and "s per step" in note and "120 steps take about" in note
    (plot,) = [b for b in demo.blocks.values() if isinstance(b, gr.LinePlot) and b.label == "Loss terms"]
    assert plot.value is None  # an empty frame here would leave the plot without lines (finetune_jobs.plot_value)


def test_a_style_model_fine_tunes_on_a_zip_of_domain_folders_and_edits_in_the_stargan_tab(app, tmp_path):
    import zipfile

    _, client = app
    archive = tmp_path / "styles.zip"
    rng = np.random.default_rng(2)
    with zipfile.ZipFile(archive, "w") as zipped:
        for domain in ("modern", "flat", "high-contrast", "pixel-art"):
            for index in range(8):
                path = tmp_path / f"{domain}-{index}.png"
                Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(path)
                zipped.write(path, f"my-set/{domain}/e{index}.png")
    files = [handle_file(str(archive))]
    note, grid = client.predict("stargan", "emoji-styles", "names", files, [], [], api_name="/finetune_check")
    assert note.startswith("accepted: 8 images in modern, 8 images in flat, 8 images in high-contrast; 1 skipped")
    assert "styles.zip/my-set/pixel-art/ (8 files) (not in a domain folder: modern/, flat/, high-contrast/)" in note
    assert Image.open(grid).size[1] > 96 * 3  # a row per domain
    settings = (2, 5, 1e-4, 2, [], 1, 0.0, None)
    job_id, _ = client.predict(
        "stargan", "emoji-styles", "names", files, [], "my-styles", *settings, api_name="/finetune_start"
    )
    assert "step 2 of 2" in wait_status(client, job_id, lambda s: s.startswith("**Done**"))
    picture = handle_file(str(tmp_path / "modern-0.png"))
    _, made = client.predict("my-styles", picture, False, "flat=1", api_name="/edit")
    assert made == "Made with: modern 0.00 · flat 1.00 · high-contrast 0.00"


def test_a_saved_run_resumes_from_the_tab_to_more_steps_and_not_to_fewer(app, tmp_path):
    import json

    import pytest

    _, client = app
    files = upload_set(tmp_path / "set")
    job_id, _ = start(client, files, "resumable", 2)
    wait_status(client, job_id, lambda s: s.startswith("**Done**"))
    resume = ("resumable", "names", files, [])
    job_id, status = client.predict(*resume, 4, 5, job_id, api_name="/finetune_resume")
    assert "Queued" in status or "Running" in status
    assert "step 4 of 4" in wait_status(client, job_id, lambda s: s.startswith("**Done**"))
    record = json.loads((app[0].test_runs_dir / "resumable" / "run.json").read_text())
    assert record["steps"] == 4 and record["resumed_at"] == [2]
    with pytest.raises(Exception, match="resumable is already at step 4; set Steps above that to go on"):
        client.predict(*resume, 4, 5, job_id, api_name="/finetune_resume")
    with pytest.raises(Exception, match="Choose one of your runs to resume"):
        client.predict(None, "names", files, [], 6, 5, None, api_name="/finetune_resume")


def test_a_two_way_fine_tune_keeps_its_bases_direction_names_and_describes_its_data(app, tmp_path):
    demo, client = app
    first, second = upload_set(tmp_path / "a"), upload_set(tmp_path / "b")
    settings = (2, 5, 1e-4, 2, [], 1, 0.0, None)  # steps, minutes, lr, batch, augment, freeze, ema, job
    job_id, _ = client.predict(
        "cyclegan", "emoji-flat-modern", "names", first, second, "my-flat", *settings, api_name="/finetune_start"
    )
    assert "step 2 of 2" in wait_status(client, job_id, lambda s: s.startswith("**Done**"))
    entry = demo.test_store.registry.get("my-flat")
    assert entry.directions == {"a2b": "flat → modern", "b2a": "modern → flat"}  # not the upload folders' names
    assert entry.description == "Fine-tuned in the Fine-tune tab from emoji-flat-modern on 8 images in A and 8 in B."
    # started without licence and credit (an older client): the card says where the model came from
    assert entry.licence.startswith("unspecified (the terms of the training images apply")
    assert entry.credit.startswith("fine-tuned in the gan-demo Fine-tune tab from emoji-flat-modern (its licence: MIT;")


def test_the_licence_and_credit_given_on_start_are_on_the_new_models_card(app, tmp_path):
    import pytest

    demo, client = app
    files = upload_set(tmp_path / "set")
    settings = (2, 5, 1e-4, 2, ["color"], 1, 0.0, None)
    job_id, _ = client.predict(
        "gan",
        "emoji-fluent",
        "names",
        files,
        [],
        "cc-run",
        *settings,
        "CC-BY-4.0",
        "  Photos by  Ada\nLovelace ",
        api_name="/finetune_start",
    )
    wait_status(client, job_id, lambda s: s.startswith("**Done**"))
    entry = demo.test_store.registry.get("cc-run")
    assert entry.licence == "CC-BY-4.0"
    assert entry.credit.startswith("Photos by Ada Lovelace; fine-tuned in the gan-demo Fine-tune tab from emoji-fluent")
    card = (demo.test_runs_dir / "cc-run" / "README.md").read_text()
    assert "license: cc-by-4.0" in card and "Credit: Photos by Ada Lovelace;" in card
    for licence, credit, message in [
        ("MIT\n<script>", "", "Licence: an identifier such as MIT"),
        ("MIT", "x" * 301, "Credit: one line of plain text, up to 300 characters"),
        ("MIT", "see [here](javascript:alert(1))", "Credit: one line of plain text"),
    ]:
        with pytest.raises(Exception, match=message):
            client.predict(
                "gan",
                "emoji-fluent",
                "names",
                files,
                [],
                "bad-terms",
                *settings,
                licence,
                credit,
                api_name="/finetune_start",
            )
    assert "bad-terms" not in {e.key for e in demo.test_store.registry}
