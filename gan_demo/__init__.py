"""GAN playground: the inference and fine-tune core behind the Gradio app and the `gan-demo` CLI."""

__version__ = "0.1.0"
