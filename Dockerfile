# CPU image of the GAN playground: docker build -t gan-demo . && docker run -p 7860:7860 gan-demo
FROM python:3.11-slim

# Hugging Face Spaces run containers as uid 1000; so do we, everywhere.
RUN useradd --create-home --uid 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    HF_HOME=/home/user/.cache/huggingface \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False \
    GAN_DEMO_RUNS=/home/user/runs \
    PYTHONUNBUFFERED=1
# Made by the app's user, so writable by it: the Hub cache, the fine-tuned runs (mount a volume on /home/user/runs
# to keep them) and the app folder (Gradio's example cache, .gradio/). The classic builder would create a
# WORKDIR owned by root.
RUN mkdir -p "$HF_HOME" "$GAN_DEMO_RUNS" /home/user/app
WORKDIR /home/user/app

# Dependencies first so that code changes do not reinstall torch. opencv is the headless build: no libGL.
COPY --chown=user requirements.txt .
RUN pip install --no-cache-dir --user -r requirements.txt

COPY --chown=user . .
RUN pip install --no-cache-dir --user --no-deps .

EXPOSE 7860
CMD ["python", "app.py"]
