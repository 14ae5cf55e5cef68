"""Inference functions: PIL images, plain numbers and a seed in; PIL images out.

They never read globals, never load weights and never touch Gradio.
"""

from gan_demo.tasks.sample import latent_vectors, sample_images
from gan_demo.tasks.translate import translate_image

__all__ = ["latent_vectors", "sample_images", "translate_image"]
