"""Tab 1: draw random samples from an unconditional GAN."""

from __future__ import annotations

import random

import gradio as gr

from gan_demo.device import gpu_task
from gan_demo.imaging import make_grid
from gan_demo.store import ModelStore
from gan_demo.tasks import sample_images
from gan_demo.tasks.sample import MAX_SAMPLES, SEED_MODULUS
from gan_demo.ui.common import model_card_markdown, model_choices, runnable_examples, user_errors


def build_sample_tab(store: ModelStore) -> None:
    choices = model_choices(store.registry, "sample")

    @user_errors
    @gpu_task(duration=30)
    def sample(key, seed, n, latent_scale, display_size, progress=gr.Progress()):
        progress(0.05, desc="Loading the generator…")
        _, generator = store.get(key)
        images = sample_images(
            generator,
            n=int(n),
            seed=int(seed),
            device=store.device,
            latent_scale=float(latent_scale),
            output_size=int(display_size),
            on_progress=lambda done, total: progress((done, total), desc="Sampling"),
        )
        captions = [f"seed {int(seed)} · #{i}" for i in range(len(images))]
        return make_grid(images), list(zip(images, captions, strict=True))

    gr.Markdown("Every seed fixes a set of latent vectors: the same seed always gives the same images.")
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(
                choices,
                value=choices[0][1] if choices else None,
                label="Model",
                info="Which generator draws the pictures.",
            )
            card = gr.Markdown(model_card_markdown(store.registry, choices[0][1] if choices else None))
            with gr.Row():
                seed = gr.Number(
                    42, label="Seed", precision=0, minimum=0, maximum=SEED_MODULUS - 1, info="Same seed, same images."
                )
                shuffle = gr.Button("🎲 Random seed", size="sm")
            count = gr.Slider(
                1, MAX_SAMPLES, value=16, step=1, label="Number of images", info="How many samples to draw."
            )
            scale = gr.Slider(
                0.1,
                2.0,
                value=1.0,
                step=0.05,
                label="Latent scale (truncation)",
                info="Below 1: safer, more typical images; above 1: wilder ones.",
            )
            size = gr.Radio(
                [64, 128, 256],
                value=128,
                label="Display size (px)",
                info="Upscaling only enlarges the generator's own pixels.",
            )
            run = gr.Button("Generate", variant="primary")
        with gr.Column(scale=2):
            grid = gr.Image(
                label="Grid", format="png", type="pil", interactive=False, buttons=["download", "fullscreen"]
            )
            gallery = gr.Gallery(label="Single images", format="png", columns=8, height="auto")

    run.click(sample, [model, seed, count, scale, size], [grid, gallery], api_name="sample", concurrency_id="model")
    runnable_examples(
        [[choices[0][1], 42, 16, 1.0, 128], [choices[0][1], 2024, 4, 0.7, 256]] if choices else [],
        inputs=[model, seed, count, scale, size],
        outputs=[grid, gallery],
        fn=sample,
        api_name="sample_example",
        label="Try these (click a row to run it)",
    )
    shuffle.click(lambda: random.randrange(SEED_MODULUS), outputs=seed, api_name="random_seed", queue=False)
    model.change(
        lambda key: model_card_markdown(store.registry, key),
        model,
        card,
        api_name="sample_model_card",
        api_visibility="undocumented",
        queue=False,
    )
