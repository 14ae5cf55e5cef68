"""Tab 1: draw random samples from an unconditional GAN, and walk between two seeds."""

from __future__ import annotations

import atexit
import random
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr

from gan_demo.imaging import make_grid
from gan_demo.registry import UnknownModel
from gan_demo.store import ModelStore
from gan_demo.tasks.sample import (
    INTERPOLATIONS,
    MAX_FRAMES,
    MAX_SAMPLES,
    SEED_MODULUS,
    animation_bytes,
    check_seed,
    render_latents,
    sample_images,
    walk_latents,
)
from gan_demo.ui.common import (
    SafeNumber,
    SafeSlider,
    model_card_markdown,
    model_choices,
    model_event,
    runnable_examples,
)

DISPLAY_SIZES = (64, 128, 256)


def _truncation(value: float) -> float | None:
    """The slider's 0 means "off"."""
    return float(value) if value and float(value) > 0 else None


def _seed(value) -> int:
    if value is None:
        raise ValueError(f"enter a seed (a whole number from 0 to {SEED_MODULUS - 1})")
    return check_seed(int(value))


class _WalkFolder:
    """Where latent-walk GIFs wait for Gradio to copy them: made on the first walk, removed at exit."""

    def __init__(self) -> None:
        self._path: Path | None = None

    def file(self, name: str, *, max_age_s: float = 3600.0) -> Path:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="gan-demo-walks-"))
            atexit.register(shutil.rmtree, self._path, ignore_errors=True)
        cutoff = time.time() - max_age_s  # Gradio serves its own copy; ours only need to outlive one request
        for path in self._path.glob("*.gif"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        return self._path / name


def build_sample_tab(store: ModelStore) -> gr.Dropdown:
    """Build the tab; returns its model dropdown so the app can refresh the choices (new fine-tuned runs)."""
    choices = model_choices(store, "sample")
    first = choices[0][1] if choices else None
    walks = _WalkFolder()

    @model_event
    def sample(key, seed, n, latent_scale, truncation, display_size, progress=gr.Progress()):
        progress(0.05, desc="Loading the generator…")
        _, generator = store.get(key)
        seed = _seed(seed)
        images = sample_images(
            generator,
            n=int(n),
            seed=seed,
            device=store.device,
            latent_scale=float(latent_scale),
            truncation=_truncation(truncation),
            output_size=int(display_size),
            on_progress=lambda done, total: progress((done, total), desc="Sampling"),
        )
        captions = [f"seed {seed} · #{i}" for i in range(len(images))]
        return make_grid(images), list(zip(images, captions, strict=True))

    @model_event
    def latent_walk(
        key, seed_a, seed_b, frames, fps, interpolation, latent_scale, truncation, display_size, progress=gr.Progress()
    ):
        progress(0.05, desc="Loading the generator…")
        _, generator = store.get(key)
        seed_a, seed_b = _seed(seed_a), _seed(seed_b)
        z = walk_latents(
            generator.latent_dim,
            seed_a,
            seed_b,
            int(frames),
            interpolation=str(interpolation),
            truncation=_truncation(truncation),
        )
        images = render_latents(
            generator,
            z,
            device=store.device,
            latent_scale=float(latent_scale),
            output_size=int(display_size),
            on_progress=lambda done, total: progress((done, total), desc="Rendering frames"),
        )
        path = walks.file(f"{key}-walk-{seed_a}-{seed_b}-{interpolation}-{len(images)}f.gif")
        path.write_bytes(animation_bytes(images, fps=float(fps)))
        return str(path), str(path)

    gr.Markdown(
        "A generator turns a random latent vector into a picture. Every seed fixes a set of latent vectors: "
        "the same seed always gives the same images on the same device."
    )
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(
                choices, value=first, allow_custom_value=True, label="Model", info="Which generator draws the pictures."
            )
            card = gr.Markdown(model_card_markdown(store.registry, first))
            with gr.Row():
                seed = SafeNumber(
                    42, label="Seed", precision=0, minimum=0, maximum=SEED_MODULUS - 1, info="Same seed, same images."
                )
                shuffle = gr.Button("🎲 Random seed", size="sm")
            count = SafeSlider(
                1, MAX_SAMPLES, value=16, step=1, label="Number of images", info="How many samples to draw."
            )
            scale = SafeSlider(
                0.1,
                2.0,
                value=1.0,
                step=0.05,
                label="Latent scale",
                info="Multiplies the latent vector: below 1 safer, more typical images; above 1 wilder ones.",
            )
            truncation = SafeSlider(
                0.0,
                3.0,
                value=0.0,
                step=0.1,
                label="Truncation threshold (0 = off)",
                info="Latent values come from a normal cut at ±threshold (BigGAN): lower, more typical, less varied.",
            )
            size = gr.Radio(
                list(DISPLAY_SIZES),
                value=128,
                label="Display size (px)",
                info="Outputs are resized to this side; enlarging adds no detail.",
            )
            run = gr.Button("Generate", variant="primary")
        with gr.Column(scale=2):
            grid = gr.Image(
                label="Grid", format="png", type="pil", interactive=False, buttons=["download", "fullscreen"]
            )
            gallery = gr.Gallery(
                label="Single images (click one to download it)", format="png", columns=8, height="auto"
            )
            with gr.Accordion("Latent walk: morph between two seeds", open=False):
                gr.Markdown(
                    "Moves from the first image of the seed above to the first image of a second seed, "
                    "and back, as a looping GIF."
                )
                with gr.Row():
                    seed_b = SafeNumber(7, label="Second seed", precision=0, minimum=0, maximum=SEED_MODULUS - 1)
                    frames = SafeSlider(
                        2, MAX_FRAMES, value=24, step=1, label="Frames", info="More frames, smoother and slower."
                    )
                    fps = SafeSlider(1, 30, value=12, step=1, label="Frames per second")
                interpolation = gr.Radio(
                    list(INTERPOLATIONS),
                    value="slerp",
                    label="Path",
                    info="slerp follows the sphere where latent vectors live; linear cuts through its middle.",
                )
                walk = gr.Button("Make the walk", variant="secondary")
                animation = gr.Image(label="Walk", type="filepath", interactive=False, buttons=["fullscreen"])
                animation_file = gr.File(label="Download the GIF", interactive=False)

    inputs = [model, seed, count, scale, truncation, size]
    run.click(sample, inputs, [grid, gallery], api_name="sample", concurrency_id="model")
    walk.click(
        latent_walk,
        [model, seed, seed_b, frames, fps, interpolation, scale, truncation, size],
        [animation, animation_file],
        api_name="latent_walk",
        concurrency_id="model",
    )
    examples = [[first, 42, 16, 1.0, 0.0, 128], [first, 2024, 4, 1.0, 1.5, 256]] if first else []
    if first != "emoji-fluent" and "emoji-fluent" in {key for _, key in choices}:
        examples.insert(0, ["emoji-fluent", 3, 16, 1.0, 0.0, 128])
    runnable_examples(
        examples,
        inputs=inputs,
        outputs=[grid, gallery],
        fn=sample,
        api_name="sample_example",
        label="Try these (click a row to run it)",
    )
    shuffle.click(lambda: random.randrange(SEED_MODULUS), outputs=seed, api_name="random_seed", queue=False)

    def model_changed(key):
        try:
            entry_size = store.registry.get(key).task_options.get("output_size")
        except UnknownModel:
            entry_size = None
        size_update = gr.update(value=entry_size) if entry_size in DISPLAY_SIZES else gr.update()
        return model_card_markdown(store.registry, key), size_update

    model.change(
        model_changed,
        model,
        [card, size],
        api_name="sample_model_card",
        api_visibility="undocumented",
        queue=False,
    )
    return model
