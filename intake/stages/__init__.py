"""The pipeline's stages, one module each, in the order intake/pipeline.py runs them."""
