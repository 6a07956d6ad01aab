"""Self-contained extensions of mmcnn (see projects/README.md)."""
