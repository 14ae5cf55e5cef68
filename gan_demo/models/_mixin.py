"""The one place that ties our modules to the Hugging Face Hub format (config.json + model.safetensors)."""

from huggingface_hub import PyTorchModelHubMixin

HUB_KWARGS = {
    "library_name": "gan-demo",
    "tags": ["gan", "image-generation", "gan-demo"],
    "license": "mit",
}


class HubModel(PyTorchModelHubMixin, **HUB_KWARGS):
    """Adds `save_pretrained` / `from_pretrained` / `push_to_hub`; the constructor arguments are the config."""
