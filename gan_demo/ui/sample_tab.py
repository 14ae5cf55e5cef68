"""Tab 1: draw random samples from an unconditional GAN, and walk between two seeds."""

from __future__ import annotations

import random
from types import SimpleNamespace

import gradio as gr

from gan_demo.imaging import make_grid
from gan_demo.registry import UnknownModel
from gan_demo.specs import UPSCALER_ROLE, SampleOptions
from gan_demo.store import ModelStore
from gan_demo.tasks.sample import (
    INTERPOLATIONS,
    MAX_FRAMES,
    MAX_SAMPLES,
    SEED_MODULUS,
    WalkFolder,
    check_seed,
    render_walk,
    sample_images,
)
from gan_demo.ui.common import (
    SafeNumber,
    SafeSlider,
    model_card_markdown,
    model_event,
    model_picker,
    named,
    on_model_change,
    runnable_examples,
)
from gan_demo.ui.tabs import model_tab

DISPLAY_SIZES = (64, 128, 256)


def _truncation(value: float) -> float | None:
    """The slider's 0 means "off"."""
    return float(value) if value and float(value) > 0 else None


def _seed(value) -> int:
    if value is None:
        raise ValueError(f"enter a seed (a whole number from 0 to {SEED_MODULUS - 1})")
    return check_seed(int(value))


def sample(store: ModelStore, key, seed, n, latent_scale, truncation, display_size, progress):
    """(grid, captioned images) of `n` samples of model `key`."""
    progress(0.05, desc="Loading the generator…")
    entry, generator = store.get(key, task="sample")
    seed = _seed(seed)
    images = sample_images(
        generator,
        n=int(n),
        seed=seed,
        device=store.device,
        latent_scale=float(latent_scale),
        truncation=_truncation(truncation),
        output_size=int(display_size),
        upscaler=store.optional(entry, UPSCALER_ROLE),
        on_progress=lambda done, total: progress((done, total), desc="Sampling"),
    )
    return make_grid(images), [(image, f"seed {seed} · #{i}") for i, image in enumerate(images)]


def latent_walk(
    store: ModelStore,
    walks: WalkFolder,
    key,
    seed_a,
    seed_b,
    frames,
    fps,
    interpolation,
    latent_scale,
    truncation,
    display_size,
    progress,
):
    """(GIF path, GIF path) of a looping walk from image #0 of seed_a to image #0 of seed_b."""
    progress(0.05, desc="Loading the generator…")
    entry, generator = store.get(key, task="sample")
    seed_a, seed_b = _seed(seed_a), _seed(seed_b)
    images = render_walk(
        generator,
        seed_a,
        seed_b,
        int(frames),
        device=store.device,
        interpolation=str(interpolation),
        truncation=_truncation(truncation),
        latent_scale=float(latent_scale),
        output_size=int(display_size),
        upscaler=store.optional(entry, UPSCALER_ROLE),
        on_progress=lambda done, total: progress((done, total), desc="Rendering frames"),
    )
    name = f"{key}-walk-{seed_a}-{seed_b}-{interpolation}-{len(images)}f.gif"
    path = str(walks.write(name, images, fps=float(fps)))
    return path, path


def model_changed(store: ModelStore, key):
    """The model's card, and the display size it prefers (if it is one of the choices)."""
    try:
        options = store.registry.get(key).options
    except UnknownModel:
        options = None
    size = options.output_size if isinstance(options, SampleOptions) else None
    return model_card_markdown(store.registry, key), gr.update(value=size) if size in DISPLAY_SIZES else gr.update()


def _layout(store: ModelStore) -> SimpleNamespace:
    """The tab's components, by name."""
    gr.Markdown(
        "A generator turns a random latent vector into a picture. Every seed fixes a set of latent vectors: "
        "the same seed always gives the same images on the same device."
    )
    with gr.Row():
        with gr.Column(scale=1):
            picker = model_picker(store, "sample", info="Which generator draws the pictures.")
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
                info="Outputs are resized to this side; a model with a learned upscaler sharpens the enlargement.",
            )
            run = gr.Button("Generate", variant="primary")
        with gr.Column(scale=2):
            grid = gr.Image(
                label="Grid", format="png", type="pil", interactive=False, buttons=["download", "fullscreen"]
            )
            gallery = gr.Gallery(
                label="Single images (click one to download it)", format="png", columns=8, height="auto"
            )
            walk_panel = _walk_panel()

    components = named(locals(), "picker seed shuffle count scale truncation size run grid gallery")
    return SimpleNamespace(**vars(components), **vars(walk_panel))


def _walk_panel() -> SimpleNamespace:
    """The latent-walk accordion under the grid."""
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
    return named(locals(), "seed_b frames fps interpolation walk animation animation_file")


def _wire(store: ModelStore, ui: SimpleNamespace) -> None:
    walks = WalkFolder()
    model, first = ui.picker.dropdown, ui.picker.first

    @model_event
    def on_sample(key, seed, n, latent_scale, truncation, display_size, progress=gr.Progress()):
        return sample(store, key, seed, n, latent_scale, truncation, display_size, progress)

    @model_event
    def on_walk(key, seed_a, seed_b, frames, fps, interpolation, scale, truncation, size, progress=gr.Progress()):
        return latent_walk(
            store, walks, key, seed_a, seed_b, frames, fps, interpolation, scale, truncation, size, progress
        )

    inputs = [model, ui.seed, ui.count, ui.scale, ui.truncation, ui.size]
    ui.run.click(on_sample, inputs, [ui.grid, ui.gallery], api_name="sample", concurrency_id="model")
    ui.walk.click(
        on_walk,
        [model, ui.seed, ui.seed_b, ui.frames, ui.fps, ui.interpolation, ui.scale, ui.truncation, ui.size],
        [ui.animation, ui.animation_file],
        api_name="latent_walk",
        concurrency_id="model",
    )
    examples = [[first, 42, 16, 1.0, 0.0, 128], [first, 2024, 4, 1.0, 1.5, 256]] if first else []
    if first != "emoji-fluent" and "emoji-fluent" in ui.picker.keys:
        examples.insert(0, ["emoji-fluent", 3, 16, 1.0, 0.0, 128])
    runnable_examples(
        examples,
        inputs=inputs,
        outputs=[ui.grid, ui.gallery],
        fn=on_sample,
        api_name="sample_example",
        label="Try these (click a row to run it)",
    )
    ui.shuffle.click(lambda: random.randrange(SEED_MODULUS), outputs=ui.seed, api_name="random_seed", queue=False)
    on_model_change(
        ui.picker, lambda key: model_changed(store, key), [ui.picker.card, ui.size], api_name="sample_model_card"
    )


build_sample_tab = model_tab(_layout, _wire)
